using static TorchSharp.torch;

namespace Backprop.Performance;

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
