using static TorchSharp.torch;

namespace Backprop.Scratch.Modules;

/// <summary>
/// The lesson's <c>Module</c> base ("Module.forward()"): <see cref="Call"/> saves the inputs and the output, and
/// <see cref="Backward"/> hands them to <see cref="Bwd"/>, so a subclass writes only <see cref="Forward"/> and the backward math.
/// </summary>
/// <remarks>
/// The lesson's <c>__call__(*args)</c> / <c>forward(*args)</c> / <c>bwd(out, *args)</c>, with <see cref="Variable"/> for a
/// tensor and its <c>.g</c>. <see cref="Call"/> is named after TorchSharp's <c>Module.call</c>, which also wraps <c>forward</c>.
/// </remarks>
/// <param name="arity">How many inputs <see cref="Call"/> takes (1 for a layer, 2 for a loss with its target).</param>
public abstract class Module(int arity)
{
    private Variable[]? _args;
    private Variable? _out;

    /// <summary>Runs <see cref="Forward"/> on the inputs' values, saving the inputs and the output for <see cref="Backward"/>.</summary>
    /// <returns>The output.</returns>
    /// <exception cref="ArgumentException">The wrong number of inputs, or inputs whose shapes do not fit.</exception>
    public Variable Call(params Variable[] args)
    {
        if (args.Length != arity)
            throw new ArgumentException($"{GetType().Name} takes {arity} input(s), got {args.Length}", nameof(args));
        var values = args.Select(a => a.Data).ToArray();
        (_args, _out) = ([.. args], new Variable(Forward(values)));
        return _out;
    }

    /// <summary>Sets the inputs' gradients (and the parameters') from the output's: <c>Bwd(out, *args)</c>.</summary>
    /// <exception cref="InvalidOperationException">Called before <see cref="Call"/>, or before the output's gradient was set.</exception>
    public void Backward()
    {
        if (_args is null || _out is null)
            throw new InvalidOperationException($"{GetType().Name}.Backward before {GetType().Name}.Call: run the forward pass first");
        Bwd(_out, _args);
    }

    /// <summary>The forward computation on the inputs' values: the lesson's <c>forward</c>.</summary>
    protected abstract Tensor Forward(ReadOnlySpan<Tensor> args);

    /// <summary>The backward math: read <c>output.G</c>, write each input's <c>G</c>: the lesson's <c>bwd</c>.</summary>
    protected abstract void Bwd(Variable output, ReadOnlySpan<Variable> args);
}
