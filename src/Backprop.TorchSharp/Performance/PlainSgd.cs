using Backprop.Training;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Backprop.Performance;

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
