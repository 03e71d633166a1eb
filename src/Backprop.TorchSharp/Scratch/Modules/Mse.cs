using static TorchSharp.torch;

namespace Backprop.Scratch.Modules;

/// <summary>Mean squared error on the <see cref="Module"/> base: <c>Call(inp, targ)</c>, predictions (N, 1) or (N), targets (N).</summary>
/// <remarks>(N, 1) predictions and (N) targets are compared as (N) columns, never broadcast to (N, N) (see <see cref="Functions.Mse"/>).</remarks>
public sealed class Mse() : Module(arity: 2)
{
    /// <inheritdoc/>
    protected override Tensor Forward(ReadOnlySpan<Tensor> args) => Functions.Mse(args[0], args[1]);

    /// <inheritdoc/>
    /// <remarks>The loss is the last step (dL/dL = 1), so <c>output.G</c> is not read, as in the lesson.</remarks>
    protected override void Bwd(Variable output, ReadOnlySpan<Variable> args)
    {
        var (inp, targ) = (args[0], args[1]);
        var diff = Shapes.Column(inp.Data) - Shapes.Column(targ.Data);
        inp.G = (2.0 * diff / diff.shape[0]).view_as(inp.Data); // dL/dinp = 2 (inp - targ) / N
    }
}
