using Backprop.Scratch;
using static TorchSharp.torch;

namespace Backprop.Training;

/// <summary>
/// A training step with lesson 03's hand-written gradients and SGD: <see cref="ManualClassifier.Loss"/> (or
/// <see cref="ManualClassifier.LossMse"/>), <see cref="ManualClassifier.Backward"/>, <see cref="ManualClassifier.Step"/>,
/// so that <see cref="Fit"/> trains the manual path exactly as it trains the autograd one.
/// </summary>
/// <param name="model">The classifier, on the batches' device; the caller keeps and disposes it.</param>
/// <param name="loss">Cross-entropy or MSE against the one-hot target.</param>
/// <param name="lr">SGD's learning rate.</param>
public sealed class ManualStep(ManualClassifier model, LossKind loss, double lr) : ITrainStep
{
    /// <summary>The classifier being trained.</summary>
    public ManualClassifier Model => model;

    /// <inheritdoc/>
    public Tensor Step(Tensor xb, Tensor yb)
    {
        var l = loss == LossKind.Mse ? model.LossMse(xb, yb) : model.Loss(xb, yb);
        model.Backward();
        model.Step(lr);
        return l;
    }

    /// <inheritdoc/>
    public Tensor Predict(Tensor xb)
    {
        using var noGrad = no_grad();
        return model.Forward(xb);
    }
}
