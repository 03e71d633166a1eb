namespace Backprop.Training;

/// <summary>One saved float32 tensor: its <c>state_dict</c> name, shape and values (row-major).</summary>
/// <param name="Name">E.g. <c>0.weight</c>.</param>
/// <param name="Shape">E.g. (50, 784).</param>
/// <param name="Values">The elements, row-major; as many as the shape holds.</param>
public sealed record CheckpointTensor(string Name, long[] Shape, float[] Values);
