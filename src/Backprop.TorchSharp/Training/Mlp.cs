using TorchSharp;
using TorchSharp.Utils;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Backprop.Training;

/// <summary>
/// The lesson's <c>MLP</c> (cell 10): layers as fields, registered with the module so <c>parameters()</c> finds them.
/// Python registers on assignment (<c>__setattr__</c>); TorchSharp's <c>RegisterComponents()</c> does it once, by reflection
/// over the fields, in declaration order; <see cref="MyModule"/> shows the same idea by hand.
/// </summary>
public sealed class Mlp : nn.Module<Tensor, Tensor>
{
    [ComponentName(Name = "l1")]
    private readonly Linear _l1;

    [ComponentName(Name = "l2")]
    private readonly Linear _l2;

    [ComponentName(Name = "relu")]
    private readonly ReLU _relu;

    /// <summary>Builds l1 = Linear(nIn, nh), l2 = Linear(nh, nOut), relu on the CPU (so a seed gives the course's weights), then moves them to <paramref name="device"/>.</summary>
    public Mlp(int nIn, int nh, int nOut, Device? device = null) : base(nameof(Mlp))
    {
        _l1 = nn.Linear(nIn, nh);
        _l2 = nn.Linear(nh, nOut);
        _relu = nn.ReLU();
        RegisterComponents();
        if (device is not null) this.to(device);
    }

    /// <summary>l2(relu(l1(x))): (N, nIn) to (N, nOut).</summary>
    public override Tensor forward(Tensor x) => _l2.call(_relu.call(_l1.call(x)));
}
