namespace Backprop.Scratch.Classes;

/// <summary>
/// What the lesson's layer classes have in common, so a model can hold them in one list: a call that saves its input
/// and output, and a backward that reads <c>out.G</c> and writes <c>inp.G</c>.
/// </summary>
public interface ILayer
{
    /// <summary>Runs the layer forward, saving <paramref name="inp"/> and the output for <see cref="Backward"/>: the lesson's <c>__call__</c>.</summary>
    Variable Call(Variable inp);

    /// <summary>Sets the input's gradient (and the parameters', if any) from the output's: the lesson's <c>backward</c>.</summary>
    /// <exception cref="InvalidOperationException">Called before <see cref="Call"/>, or before the output's gradient was set.</exception>
    void Backward();
}
