using TorchSharp;
using TorchSharp.Utils;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Backprop.Training;

/// <summary>
/// The lesson's <c>SequentialModel</c> (cell 16): the layers of <see cref="Model"/> in a <c>ModuleList</c>, which registers
/// each of them (as <c>layers.0</c>, <c>layers.1</c>, ...) so <c>parameters()</c> finds their weights.
/// <c>nn.Sequential</c> is the framework's version of the same thing.
/// </summary>
public sealed class SequentialModel : nn.Module<Tensor, Tensor>
{
    [ComponentName(Name = "layers")]
    private readonly ModuleList<nn.Module<Tensor, Tensor>> _layers;

    /// <summary>Registers <paramref name="layers"/> (created by the caller, on the CPU for the course's weights) and moves them to <paramref name="device"/>.</summary>
    public SequentialModel(IEnumerable<nn.Module<Tensor, Tensor>> layers, Device? device = null) : base(nameof(SequentialModel))
    {
        _layers = nn.ModuleList([.. layers]);
        RegisterComponents();
        if (device is not null) this.to(device);
    }

    /// <summary>The registered layers, in order.</summary>
    public IReadOnlyList<nn.Module<Tensor, Tensor>> Layers => _layers.AsReadOnly();

    /// <summary>Runs <paramref name="x"/> (N, nIn) through the layers: (N, nOut).</summary>
    public override Tensor forward(Tensor x)
    {
        foreach (var l in _layers) x = l.call(x);
        return x;
    }
}
