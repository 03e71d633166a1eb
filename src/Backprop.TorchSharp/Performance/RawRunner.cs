using Backprop.Training;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Backprop.Performance;

/// <summary><see cref="BenchMode.Raw"/>: the plain loop people write first, over slices of tensors already on the device.</summary>
internal sealed class RawRunner(Tensor x, Tensor y, int bs, int nh, Device device) : IEpochRunner
{
    private readonly (Sequential Model, SGD Opt) _m = Models.GetModel(0.5, nh, device);

    public void RunEpoch()
    {
        var n = x.shape[0];
        for (long i = 0; i < n; i += bs)
        {
            using var scope = NewDisposeScope();
            var s = Math.Min(bs, n - i);
            var loss = LossFunc.CrossEntropy(_m.Model.call(x.narrow(0, i, s)), y.narrow(0, i, s));
            _m.Opt.zero_grad();
            loss.backward();
            _m.Opt.step();
        }
        using var sync = _m.Model.parameters().First().sum();
        sync.item<float>();
    }

    public void Dispose()
    {
        _m.Opt.Dispose();
        _m.Model.Dispose();
    }
}
