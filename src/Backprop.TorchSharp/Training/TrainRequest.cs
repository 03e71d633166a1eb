namespace Backprop.Training;

/// <summary>What <c>backprop train</c> was asked to do, before anything is checked or loaded.</summary>
public sealed record TrainRequest
{
    /// <summary>The settings given explicitly; the rest come from the defaults or the resumed checkpoint.</summary>
    public TrainOverrides Overrides { get; init; } = new();

    /// <summary>Where MNIST is (<c>--data</c>): a folder with the IDX files (or <c>mnist/</c> holding them), or the course's <c>mnist.pkl.gz</c> or a folder holding it.</summary>
    public string DataDir { get; init; } = "data";

    /// <summary>The device (<c>--device</c>): cpu, cuda, cuda:N or auto.</summary>
    public string Device { get; init; } = "auto";

    /// <summary>The run folder (<c>--out</c>); <see langword="null"/> for <c>runs/&lt;timestamp&gt;</c>, or the checkpoint's folder when resuming.</summary>
    public string? OutDir { get; init; }

    /// <summary>The checkpoint to continue (<c>--resume</c>); <see langword="null"/> for a new run.</summary>
    public string? Resume { get; init; }

    /// <summary>torch's intra-op threads on the CPU (<c>--threads</c>); <see langword="null"/> for <see cref="Performance.CpuThreads.ForSmallModels"/>.</summary>
    public int? Threads { get; init; }

    /// <summary>An extra copy of the per-epoch metrics, JSON Lines (<c>--metrics</c>).</summary>
    public string? MetricsFile { get; init; }
}
