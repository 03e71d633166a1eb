namespace Backprop.Scratch.Classes;

/// <summary>Mean squared error as a class (the lesson's "Refactor model"), and its backward into the predictions.</summary>
/// <remarks>(N, 1) predictions and (N) targets are compared as (N) columns, never broadcast to (N, N) (see <see cref="Functions.Mse"/>).</remarks>
public sealed class Mse
{
    private Variable? _inp, _targ, _out;

    /// <summary>The loss: <c>mean((inp[:, 0] - targ)²)</c>, saving its inputs and output.</summary>
    /// <param name="inp">Predictions, (N, 1) or (N).</param>
    /// <param name="targ">Targets, (N).</param>
    /// <returns>A scalar.</returns>
    /// <exception cref="ArgumentException">The shapes do not pair up; the message names them.</exception>
    public Variable Call(Variable inp, Variable targ)
    {
        (_inp, _targ, _out) = (inp, targ, new Variable(Functions.Mse(inp.Data, targ.Data)));
        return _out;
    }

    /// <summary>Sets <c>inp.G</c>, the shape of the predictions, as the loss is the last step (dL/dL = 1).</summary>
    /// <exception cref="InvalidOperationException">Called before <see cref="Call"/>.</exception>
    public void Backward()
    {
        if (_inp is null || _targ is null || _out is null) throw new InvalidOperationException("Mse.Backward before Mse.Call: run the forward pass first");
        var diff = Shapes.Column(_inp.Data) - Shapes.Column(_targ.Data);
        _inp.G = (2.0 * diff / diff.shape[0]).view_as(_inp.Data); // dL/dinp = 2 (inp - targ) / N
    }
}
