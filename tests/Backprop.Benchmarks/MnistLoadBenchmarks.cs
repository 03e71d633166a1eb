using Backprop.Data;
using Backprop.Native;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;

namespace Backprop.Benchmarks;

/// <summary>
/// Loads all of MNIST (the six tensors) from the shipped IDX files, and from the course's <c>mnist.pkl.gz</c> when
/// <c>data/mnist.pkl.gz</c> is there (<c>backprop data download</c>, or the fixture script's <c>--full</c>).
/// Cold: the first load in a fresh process (libtorch already loaded); ShortRun: steady state.
/// </summary>
[ShortRunJob]
[SimpleJob(RunStrategy.ColdStart, launchCount: 3, warmupCount: 0, iterationCount: 1, id: "Cold")]
[MemoryDiagnoser]
public class MnistLoadBenchmarks
{
    private string _data = "";

    [GlobalSetup]
    public void Setup()
    {
        TorchNative.EnsureLoaded();
        using var warm = TorchSharp.torch.zeros(1); // libtorch's own start-up is not the loader's cost
        _data = Path.Combine(GzipBenchmarks.RepoRoot(), "data");
    }

    [Benchmark(Baseline = true)]
    public long Idx()
    {
        using var m = Mnist.FromIdx(Path.Combine(_data, "mnist"));
        return m.YTest.shape[0];
    }

    [Benchmark]
    public long Pickle()
    {
        var path = Path.Combine(_data, MnistPickle.FileName);
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: download it, or make one with make_pickle_fixtures.py --full", path);
        using var m = MnistPickle.Load(path);
        return m.YTest.shape[0];
    }
}
