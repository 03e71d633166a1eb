using static TorchSharp.torch;

namespace Backprop.Scratch;

/// <summary>A tensor and its gradient: the lesson's <c>t</c> and <c>t.g</c>.</summary>
/// <remarks>
/// <para>
/// Python lets the lesson hang a gradient on any tensor (<c>w1.g = ...</c>); a C# <see cref="Tensor"/> cannot carry one
/// (and its <c>grad</c> belongs to autograd). So the class and <see cref="Modules.Module"/> forms pass variables between
/// layers: a layer's output variable is the next layer's input variable, and the gradient a layer writes into
/// <c>inp.G</c> is the one the layer before reads from <c>out.G</c>, just as <c>.g</c> travels in the lesson.
/// PyTorch itself wrapped tensors this way before version 0.4 (<c>torch.autograd.Variable</c>, with <c>.data</c> and <c>.grad</c>).
/// </para>
/// <para>
/// The function form needs no holder: its backward functions return the gradients (<see cref="LinGrads"/>, <see cref="ModelGrads"/>).
/// A variable owns neither tensor: both belong to the dispose scope they were created in.
/// </para>
/// </remarks>
/// <param name="data">The value, any shape.</param>
public sealed class Variable(Tensor data)
{
    private Tensor? _g;

    /// <summary>The value: the lesson's tensor itself.</summary>
    public Tensor Data { get; } = data;

    /// <summary>dL/d<see cref="Data"/>, the same shape as <see cref="Data"/>: the lesson's <c>.g</c>.</summary>
    /// <exception cref="InvalidOperationException">Read before a backward pass wrote it.</exception>
    /// <exception cref="ArgumentException">Set to a tensor whose shape differs from <see cref="Data"/>'s.</exception>
    public Tensor G
    {
        get => _g ?? throw new InvalidOperationException(
            $"this {Shapes.Format(Data.shape)} variable has no gradient yet: run the backward pass (of the layer it feeds, or of the model) first");
        set => _g = Enumerable.SequenceEqual(value.shape, Data.shape) ? value : throw new ArgumentException(
            $"a gradient of shape {Shapes.Format(value.shape)} does not fit a variable of shape {Shapes.Format(Data.shape)}", nameof(value));
    }

    /// <summary>Whether a backward pass has written <see cref="G"/>.</summary>
    public bool HasGrad => _g is not null;
}
