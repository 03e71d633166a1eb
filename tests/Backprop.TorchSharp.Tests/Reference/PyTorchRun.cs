using System.Text.Json;
using Backprop.Cli.Runs;
using Backprop.Training;

namespace Backprop.Tests.Reference;

/// <summary>
/// One run of <c>lesson04_fit.py</c> with the <c>train</c> defaults (seed 1, 5 epochs), made on first use and shared by a
/// test class (<c>IClassFixture&lt;PyTorchRun&gt;</c>); never started when PyTorch is missing and the tests skip.
/// </summary>
public sealed class PyTorchRun
{
    /// <summary>The seed of the run (the <c>train</c> default).</summary>
    public const int Seed = 1;

    /// <summary>The epochs of the run (the <c>train</c> default).</summary>
    public const int Epochs = 5;

    /// <summary>The steps after which <see cref="AfterSteps"/> was taken.</summary>
    public const int Steps = 100;

    private readonly Lazy<Result> _result = new(Execute);

    /// <summary>
    /// The per-epoch metrics PyTorch printed, on ATen's AVX2 kernels where the CPU has them, as <c>backprop train</c> runs by
    /// default (the draws and the first steps below run on this test process's kernels, which the tests compare in-process).
    /// </summary>
    public IReadOnlyList<EpochResult> Metrics => _result.Value.Metrics;

    /// <summary>The parameters as <c>torch.manual_seed(1)</c> initialised them, by name, flattened.</summary>
    public IReadOnlyDictionary<string, float[]> Init => _result.Value.Init;

    /// <summary>Each epoch's order of training indices.</summary>
    public IReadOnlyList<long[]> Orders => _result.Value.Orders;

    /// <summary>The parameters after the first <see cref="Steps"/> training steps.</summary>
    public IReadOnlyDictionary<string, float[]> AfterSteps => _result.Value.AfterSteps;

    private sealed record Result(IReadOnlyList<EpochResult> Metrics, Dictionary<string, float[]> Init, long[][] Orders, Dictionary<string, float[]> AfterSteps);

    private static Result Execute()
    {
        using var dir = new TempDir();
        var dump = dir.File("dump.json");
        var stdout = PyTorch.Run("lesson04_fit.py", Repo.MnistIdx, "--seed", $"{Seed}", "--epochs", $"{Epochs}", "--dump", dump, "--steps", $"{Steps}");
        if (PinnedKernels.Impossible is null)
            stdout = PyTorch.Run(new Dictionary<string, string?> { ["ATEN_CPU_CAPABILITY"] = "avx2" }, "lesson04_fit.py", Repo.MnistIdx, "--seed", $"{Seed}", "--epochs", $"{Epochs}");
        var metrics = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(MetricsLog.Parse).ToList();
        using var doc = JsonDocument.Parse(File.ReadAllText(dump));
        var root = doc.RootElement;
        return new Result(
            metrics,
            Params(root.GetProperty("init")),
            [.. root.GetProperty("orders").EnumerateArray().Select(o => o.EnumerateArray().Select(i => i.GetInt64()).ToArray())],
            Params(root.GetProperty("after_steps")));
    }

    // The values are float32 printed at full double precision, so the cast back is exact.
    private static Dictionary<string, float[]> Params(JsonElement e) =>
        e.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.EnumerateArray().Select(v => (float)v.GetDouble()).ToArray());
}
