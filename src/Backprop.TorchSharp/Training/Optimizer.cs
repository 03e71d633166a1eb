using System.Diagnostics.CodeAnalysis;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Backprop.Training;

/// <summary>
/// The lesson's hand-written optimizer (cell 18): <see cref="Step"/> does p -= p.grad · lr for every parameter under
/// <c>no_grad</c>, <see cref="ZeroGrad"/> zeroes the grads. It is a TorchSharp optimizer too, so <see cref="OptimizerLoop"/>,
/// <see cref="AutogradStep"/> and <see cref="Fit"/> take it wherever they take <c>optim.SGD</c>.
/// </summary>
[SuppressMessage("Naming", "CA1708", Justification = "step and zero_grad are TorchSharp's names, overridden so the lesson's Step and ZeroGrad plug in wherever a TorchSharp optimizer does.")]
public sealed class Optimizer : optim.Optimizer
{
    private readonly Parameter[] _params;

    /// <summary>An optimizer over <paramref name="parameters"/> (taken once, like the lesson's <c>list(params)</c>) with learning rate <paramref name="lr"/>.</summary>
    public Optimizer(IEnumerable<Parameter> parameters, double lr = 0.5) : base(IntPtr.Zero)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(lr);
        (_params, Lr) = ([.. parameters], lr);
    }

    /// <summary>The learning rate.</summary>
    public double Lr { get; set; }

    /// <summary>The parameters it updates.</summary>
    public IReadOnlyList<Parameter> Params => _params;

    /// <summary>p -= p.grad · lr for every parameter that has a grad, under <c>no_grad</c>.</summary>
    public void Step()
    {
        using var noGrad = no_grad();
        foreach (var p in _params)
        {
            using var g = p.grad;
            if (g is null) continue;
            using var step = g * Lr;
            p.sub_(step); // p -= dL/dp · lr
        }
    }

    /// <summary>Zeroes every parameter's grad (the lesson's <c>p.grad.data.zero_()</c>).</summary>
    public void ZeroGrad()
    {
        foreach (var p in _params)
        {
            using var g = p.grad;
            g?.zero_();
        }
    }

    /// <summary>TorchSharp's name for <see cref="Step"/>; <paramref name="closure"/> is not supported.</summary>
    public override Tensor step(Func<Tensor>? closure = null)
    {
        if (closure is not null) throw new NotSupportedException("the lesson's optimizer takes no closure");
        Step();
        return null!;
    }

    /// <summary>TorchSharp's name for <see cref="ZeroGrad"/>.</summary>
    public override void zero_grad() => ZeroGrad();

    /// <summary>The parameters it updates.</summary>
    public override IEnumerable<Parameter> parameters() => _params;
}
