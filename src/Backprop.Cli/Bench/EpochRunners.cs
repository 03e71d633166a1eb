using Backprop.Data;
using Backprop.Training;
using TorchSharp.Modules;
using static TorchSharp.torch;
using DataLoader = Backprop.Data.DataLoader;

namespace Backprop.Cli.Bench;

/// <summary>One <see cref="BenchMode"/>, set up and ready to train one more epoch each time it is asked.</summary>
internal interface IEpochRunner : IDisposable
{
    /// <summary>Trains one epoch; returns once the device has finished it.</summary>
    void RunEpoch();
}

/// <summary><see cref="BenchMode.Final"/>, <see cref="BenchMode.Shuffled"/> and <see cref="BenchMode.Manual"/>: an <see cref="ITrainStep"/> through <see cref="Fit"/>, one epoch at a time.</summary>
internal sealed class FitRunner(ITrainStep step, DataLoader dl, IDisposable owned) : IEpochRunner
{
    private int _epoch = 1;

    public void RunEpoch() => Fit.Run(1, step, LossFunc.CrossEntropy, dl, null, new FitOptions { FirstEpoch = _epoch++ });

    public void Dispose()
    {
        dl.Dispose();
        owned.Dispose();
    }

    /// <summary>The final stage: <c>GetModel</c>'s Sequential and SGD with <see cref="AutogradStep"/>.</summary>
    public static FitRunner Autograd(Dataset ds, int bs, int nh, Device device, bool shuffle)
    {
        var (model, opt) = Models.GetModel(0.5, nh, device);
        return new FitRunner(new AutogradStep(model, LossFunc.CrossEntropy, opt), new DataLoader(ds, bs, shuffle: shuffle, device: device), new Owned(opt, model));
    }

    /// <summary>Lesson 03's manual path: <see cref="Scratch.ManualClassifier"/> with <see cref="ManualStep"/>.</summary>
    public static FitRunner Manual(Dataset ds, int bs, int nh, Device device)
    {
        var model = Scratch.ManualClassifier.Create(nh: nh, device: device);
        return new FitRunner(new ManualStep(model, LossKind.CrossEntropy, 0.5), new DataLoader(ds, bs, device: device), model);
    }

    private sealed class Owned(params IDisposable[] items) : IDisposable
    {
        public void Dispose()
        {
            foreach (var d in items) d.Dispose();
        }
    }
}

/// <summary><see cref="BenchMode.Raw"/>: the plain loop people write first, over slices of tensors already on the device.</summary>
internal sealed class RawRunner(Tensor x, Tensor y, int bs, int nh, Device device) : IEpochRunner
{
    private readonly PlainSgd _sgd = new(nh, device);

    public void RunEpoch()
    {
        var n = x.shape[0];
        for (long i = 0; i < n; i += bs)
        {
            var s = Math.Min(bs, n - i);
            using var xb = x.narrow(0, i, s);
            using var yb = y.narrow(0, i, s);
            _sgd.Step(xb, yb);
        }
        _sgd.Synchronize();
    }

    public void Dispose() => _sgd.Dispose();
}

/// <summary><see cref="BenchMode.TorchSharpLoader"/>: the final stage's model on TorchSharp's own DataLoader, which fetches one sample at a time and concatenates.</summary>
internal sealed class TorchSharpLoaderRunner : IEpochRunner
{
    private readonly PlainSgd _sgd;
    private readonly Samples _ds;
    private readonly TorchSharp.Modules.DataLoader _dl;

    public TorchSharpLoaderRunner(Tensor x, Tensor y, int bs, int nh, Device device)
    {
        _sgd = new PlainSgd(nh, device);
        _ds = new Samples(x, y);
        _dl = utils.data.DataLoader(_ds, bs, shuffle: false, device: device);
    }

    public void RunEpoch()
    {
        foreach (var batch in _dl) _sgd.Step(batch["data"], batch["label"]); // the loader disposes each batch when it makes the next
        _sgd.Synchronize();
    }

    public void Dispose()
    {
        _dl.Dispose();
        _ds.Dispose();
        _sgd.Dispose();
    }

    /// <summary>A TorchSharp map-style dataset over (x, y): <c>GetTensor(i)</c> is one sample's image and label.</summary>
    private sealed class Samples(Tensor x, Tensor y) : utils.data.Dataset
    {
        public override long Count => x.shape[0];

        public override Dictionary<string, Tensor> GetTensor(long index) => new() { ["data"] = x[index], ["label"] = y[index] };
    }
}

/// <summary>
/// The lesson's model and optimizer (<c>get_model</c>, lr 0.5) with the plain autograd step, for the bench modes that
/// bypass <see cref="Fit"/>: <see cref="BenchMode.Raw"/> and <see cref="BenchMode.TorchSharpLoader"/>.
/// </summary>
internal sealed class PlainSgd(int nh, Device device) : IDisposable
{
    private readonly (Sequential Model, SGD Opt) _m = Models.GetModel(0.5, nh, device);

    /// <summary>One step on a batch: xb (bs, 784) float32, yb (bs) int64, both on the model's device.</summary>
    public void Step(Tensor xb, Tensor yb)
    {
        using var scope = NewDisposeScope();
        var loss = LossFunc.CrossEntropy(_m.Model.call(xb), yb);
        _m.Opt.zero_grad();
        loss.backward();
        _m.Opt.step();
    }

    /// <summary>Waits until the device has finished every queued step (a no-op on the CPU, a host sync on CUDA).</summary>
    public void Synchronize()
    {
        using var sync = _m.Model.parameters().First().sum();
        sync.item<float>();
    }

    public void Dispose()
    {
        _m.Opt.Dispose();
        _m.Model.Dispose();
    }
}
