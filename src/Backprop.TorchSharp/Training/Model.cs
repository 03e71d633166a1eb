using TorchSharp;
using static TorchSharp.torch;

namespace Backprop.Training;

/// <summary>
/// The lesson's first model (cell 2): Linear(nIn, nh), ReLU, Linear(nh, nOut) kept in a plain list. Torch's module
/// registry does not see a list, so <c>parameters()</c> is empty: the basic loop (<see cref="BasicLoop"/>) updates
/// the layers one by one, and <see cref="SequentialModel"/> shows the fix.
/// </summary>
public sealed class Model : nn.Module<Tensor, Tensor>
{
    private readonly List<nn.Module<Tensor, Tensor>> _layers;

    /// <summary>Builds the layers on the CPU (so a seed gives the course's initial weights), then moves them to <paramref name="device"/>.</summary>
    /// <param name="nIn">Inputs per sample (784).</param>
    /// <param name="nh">Hidden units (50).</param>
    /// <param name="nOut">Outputs per sample (10).</param>
    /// <param name="device">Where the layers live; <see langword="null"/> for the CPU.</param>
    public Model(int nIn, int nh, int nOut, Device? device = null) : base(nameof(Model))
    {
        _layers = [nn.Linear(nIn, nh), nn.ReLU(), nn.Linear(nh, nOut)];
        if (device is not null)
            foreach (var l in _layers) l.to(device);
    }

    /// <summary>The layers, in order. They are not registered submodules (the lesson's point).</summary>
    public IReadOnlyList<nn.Module<Tensor, Tensor>> Layers => _layers;

    /// <summary>Runs <paramref name="x"/> (N, nIn) through the layers: (N, nOut).</summary>
    public override Tensor forward(Tensor x)
    {
        foreach (var l in _layers) x = l.call(x);
        return x;
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
            foreach (var l in _layers) l.Dispose();
        base.Dispose(disposing);
    }
}
