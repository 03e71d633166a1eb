using Backprop.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Backprop.Performance;

/// <summary><see cref="BenchMode.TorchSharpLoader"/>: the final stage's model on TorchSharp's own DataLoader, which fetches one sample at a time and concatenates.</summary>
internal sealed class TorchSharpLoaderRunner : IEpochRunner
{
    private readonly (Sequential Model, SGD Opt) _m;
    private readonly Samples _ds;
    private readonly DataLoader _dl;

    public TorchSharpLoaderRunner(Tensor x, Tensor y, int bs, int nh, Device device)
    {
        _m = Models.GetModel(0.5, nh, device);
        _ds = new Samples(x, y);
        _dl = utils.data.DataLoader(_ds, bs, shuffle: false, device: device);
    }

    public void RunEpoch()
    {
        foreach (var batch in _dl)
        {
            using var scope = NewDisposeScope(); // the loader disposes the batch itself, when it makes the next one
            var loss = LossFunc.CrossEntropy(_m.Model.call(batch["data"]), batch["label"]);
            _m.Opt.zero_grad();
            loss.backward();
            _m.Opt.step();
        }
        using var sync = _m.Model.parameters().First().sum();
        sync.item<float>();
    }

    public void Dispose()
    {
        _dl.Dispose();
        _ds.Dispose();
        _m.Opt.Dispose();
        _m.Model.Dispose();
    }

    /// <summary>A TorchSharp map-style dataset over (x, y): <c>GetTensor(i)</c> is one sample's image and label.</summary>
    private sealed class Samples(Tensor x, Tensor y) : utils.data.Dataset
    {
        public override long Count => x.shape[0];

        public override Dictionary<string, Tensor> GetTensor(long index) => new() { ["data"] = x[index], ["label"] = y[index] };
    }
}
