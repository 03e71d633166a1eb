using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Backprop.Performance;

/// <summary><see cref="BenchMode.TorchSharpLoader"/>: the final stage's model on TorchSharp's own DataLoader, which fetches one sample at a time and concatenates.</summary>
internal sealed class TorchSharpLoaderRunner : IEpochRunner
{
    private readonly PlainSgd _sgd;
    private readonly Samples _ds;
    private readonly DataLoader _dl;

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
