namespace Backprop.Data;

/// <summary>One split of MNIST, summarized.</summary>
/// <param name="Name"><c>train</c>, <c>valid</c> or <c>test</c>.</param>
/// <param name="XShape">The images' shape, e.g. (50000, 784).</param>
/// <param name="XType">The images' dtype, e.g. <c>Float32</c>.</param>
/// <param name="YShape">The labels' shape, e.g. (50000).</param>
/// <param name="YType">The labels' dtype, e.g. <c>Int64</c>.</param>
/// <param name="XMin">The smallest pixel value.</param>
/// <param name="XMax">The largest pixel value (0.99609375 = 255/256 for the course's data).</param>
/// <param name="LabelCounts">How many images of each digit, 0 to 9.</param>
public sealed record MnistSplitInfo(
    string Name, IReadOnlyList<long> XShape, string XType, IReadOnlyList<long> YShape, string YType,
    float XMin, float XMax, IReadOnlyList<long> LabelCounts);
