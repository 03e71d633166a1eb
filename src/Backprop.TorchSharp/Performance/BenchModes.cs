namespace Backprop.Performance;

/// <summary>The names <see cref="BenchMode"/>s go by in reports and JSON.</summary>
public static class BenchModes
{
    /// <summary>Every mode, in report order.</summary>
    public static IReadOnlyList<BenchMode> All { get; } = Enum.GetValues<BenchMode>();

    /// <summary><c>raw</c>, <c>final</c>, <c>shuffled</c>, <c>torchsharp_loader</c>, <c>manual</c>.</summary>
    public static string Name(this BenchMode mode) => mode switch
    {
        BenchMode.Raw => "raw",
        BenchMode.Final => "final",
        BenchMode.Shuffled => "shuffled",
        BenchMode.TorchSharpLoader => "torchsharp_loader",
        BenchMode.Manual => "manual",
        _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, "no such mode"),
    };
}
