namespace Backprop.Scratch.Classes;

/// <summary>
/// The lesson's <c>Model</c> built from the layer classes: <c>Lin(w1, b1)</c>, <c>Relu</c>, <c>Lin(w2, b2)</c> and <c>Mse</c>;
/// forward through the layers and the loss, backward in reverse.
/// </summary>
/// <remarks>After <see cref="Backward"/>, the gradients are on the variables: <c>x.G</c>, <c>w1.G</c>, <c>b1.G</c>, <c>w2.G</c>, <c>b2.G</c>.</remarks>
/// <param name="w1">(784, nh).</param>
/// <param name="b1">(nh).</param>
/// <param name="w2">(nh, 1).</param>
/// <param name="b2">(1).</param>
public sealed class Model(Variable w1, Variable b1, Variable w2, Variable b2)
{
    private readonly Mse _loss = new();

    /// <summary>The layers, in forward order.</summary>
    public IReadOnlyList<ILayer> Layers { get; } = [new Lin(w1, b1), new Relu(), new Lin(w2, b2)];

    /// <summary>Runs the layers and the loss: the lesson's <c>model(x, targ)</c>.</summary>
    /// <param name="x">Input, (N, 784).</param>
    /// <param name="targ">Targets, (N).</param>
    /// <returns>The loss, a scalar.</returns>
    public Variable Call(Variable x, Variable targ) => _loss.Call(Layers.Aggregate(x, (inp, layer) => layer.Call(inp)), targ);

    /// <summary>The loss's backward, then each layer's in reverse: every variable gets its <c>G</c>.</summary>
    /// <exception cref="InvalidOperationException">Called before <see cref="Call"/>.</exception>
    public void Backward()
    {
        _loss.Backward();
        foreach (var layer in Layers.Reverse()) layer.Backward();
    }
}
