using Backprop.Scratch;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using static TorchSharp.torch;

namespace Backprop.Benchmarks;

/// <summary>
/// Forward + backward of each lesson 03 piece at the lesson's sizes (bs 50, 784-50-10), by hand (the Scratch formulas)
/// against autograd (the same forward, then <c>backward()</c>). Each iteration runs in its own dispose scope.
/// </summary>
[Config(typeof(InProcessShortRun))]
[MemoryDiagnoser]
public class LayerBenchmarks
{
    /// <summary>
    /// Short runs inside the benchmark process: a generated child project would not carry TorchSharp's native libtorch
    /// package, and in-process the library's native set-up (the Linux loader fix) is already done.
    /// </summary>
    private sealed class InProcessShortRun : ManualConfig
    {
        public InProcessShortRun() => AddJob(Job.ShortRun.WithToolchain(InProcessEmitToolchain.Instance));
    }

    private Tensor _x = null!, _w = null!, _b = null!, _h = null!, _logits = null!, _targ = null!, _y = null!;

    /// <summary>Rows per batch.</summary>
    [Params(50, 1000)]
    public int Bs { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        Backprop.Native.TorchNative.EnsureLoaded(); // before TorchSharp initialises: the Linux loader fix
        set_num_threads(1);
        manual_seed(42);
        _x = randn(Bs, 784);
        _w = randn(784, 50) * 0.05;
        _b = zeros(50);
        _h = randn(Bs, 50);
        _logits = randn(Bs, 10);
        _targ = randint(10, [Bs]);
        _y = randn(Bs, 1);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        foreach (var t in new[] { _x, _w, _b, _h, _logits, _targ, _y }) t.Dispose();
    }

    [Benchmark(Description = "Lin manual")]
    public void LinManual()
    {
        using var scope = NewDisposeScope();
        var output = Functions.Lin(_x, _w, _b);
        output.G = ones_like(output);
        Functions.LinGrad(_x, output, _w, _b);
    }

    [Benchmark(Description = "Lin autograd")]
    public void LinAutograd() => Autograd([_x, _w, _b], p => Functions.Lin(p[0], p[1], p[2]));

    [Benchmark(Description = "Relu manual")]
    public void ReluManual()
    {
        using var scope = NewDisposeScope();
        var relu = new Backprop.Scratch.Classes.Relu();
        var output = relu.Call(_h);
        output.G = ones_like(output);
        relu.Backward();
    }

    [Benchmark(Description = "Relu autograd")]
    public void ReluAutograd() => Autograd([_h], p => Functions.Relu(p[0]));

    [Benchmark(Description = "Mse manual")]
    public void MseManual()
    {
        using var scope = NewDisposeScope();
        var mse = new Backprop.Scratch.Classes.Mse();
        mse.Call(_y, _y.squeeze(-1) + 1);
        mse.Backward();
    }

    [Benchmark(Description = "Mse autograd")]
    public void MseAutograd() => Autograd([_y], p => Functions.Mse(p[0], _y.squeeze(-1) + 1), scalar: true);

    [Benchmark(Description = "LogSoftmax manual")]
    public void LogSoftmaxManual()
    {
        using var scope = NewDisposeScope();
        var output = Losses.LogSoftmax(_logits);
        Losses.LogSoftmaxGrad(_logits, ones_like(output));
    }

    [Benchmark(Description = "LogSoftmax autograd")]
    public void LogSoftmaxAutograd() => Autograd([_logits], p => Losses.LogSoftmax(p[0]));

    [Benchmark(Description = "CrossEntropy manual")]
    public void CrossEntropyManual()
    {
        using var scope = NewDisposeScope();
        Losses.CrossEntropy(_logits, _targ);
        Losses.CrossEntropyGrad(_logits, _targ);
    }

    [Benchmark(Description = "CrossEntropy autograd")]
    public void CrossEntropyAutograd() => Autograd([_logits], p => Losses.CrossEntropy(p[0], _targ), scalar: true);

    // The forward on leaves that require grad, then backward: with dL/dout = 1 (ones) for a tensor output, as the manual rows use.
    private static void Autograd(Tensor[] inputs, Func<Tensor[], Tensor> forward, bool scalar = false)
    {
        using var scope = NewDisposeScope();
        var leaves = inputs.Select(t => t.detach().requires_grad_()).ToArray();
        var output = forward(leaves);
        (scalar ? output : output.sum()).backward();
    }
}
