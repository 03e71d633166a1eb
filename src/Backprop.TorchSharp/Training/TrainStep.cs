using Backprop.Scratch;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Backprop.Training;

/// <summary>
/// One training step of some model, so that <see cref="Fit"/> drives any of them: autograd (<see cref="AutogradStep"/>)
/// or a model with hand-written gradients. <see cref="Fit"/> calls it inside a dispose scope per batch.
/// </summary>
public interface ITrainStep
{
    /// <summary>
    /// Forward, loss, backward and update on one batch, xb (bs, 784) and yb (bs). Returns the batch's mean loss: 0-dim,
    /// detached from the graph (no grad), on the batch's device. Must not read it on the host (no <c>item()</c>).
    /// </summary>
    Tensor Step(Tensor xb, Tensor yb);

    /// <summary>The model's logits for <paramref name="xb"/> (n, 784): (n, 10), computed without tracking gradients.</summary>
    Tensor Predict(Tensor xb);

    /// <summary>Switches between training and evaluation behaviour (the lesson's <c>model.train()</c> / <c>model.eval()</c>); once per phase, never per batch.</summary>
    void SetTraining(bool training)
    {
    }
}

/// <summary>
/// The lesson's training step with autograd: <c>loss_func(model(xb), yb)</c>, <c>backward()</c>, <c>opt.step()</c>.
/// </summary>
/// <remarks>
/// Grads are cleared by setting them to none before each backward pass, as PyTorch's <c>zero_grad(set_to_none=True)</c>
/// does, rather than with <c>opt.zero_grad()</c> (TorchSharp's zeroes them in place): backward then hands each parameter its
/// fresh gradient instead of adding it into zeros, which saves two ops per parameter per step. The grads of the last step
/// stay readable until the next one.
/// </remarks>
/// <param name="model">The model, on the device of the batches (move it before building the step: the step keeps its parameters).</param>
/// <param name="lossFunc">The loss of (preds, yb), a 0-dim mean (e.g. <see cref="LossFunc.CrossEntropy"/>).</param>
/// <param name="opt">The optimizer over the model's parameters (<c>optim.SGD</c>, or any <c>optim.Optimizer</c>).</param>
public sealed class AutogradStep(nn.Module<Tensor, Tensor> model, Func<Tensor, Tensor, Tensor> lossFunc, optim.Optimizer opt) : ITrainStep
{
    private readonly Parameter[] _params = [.. model.parameters()];

    /// <summary>The model.</summary>
    public nn.Module<Tensor, Tensor> Model => model;

    /// <inheritdoc/>
    public Tensor Step(Tensor xb, Tensor yb)
    {
        foreach (var p in _params) p.grad = null;
        var loss = lossFunc(model.call(xb), yb);
        loss.backward();
        opt.step();
        return loss.detach_();
    }

    /// <inheritdoc/>
    public Tensor Predict(Tensor xb)
    {
        using var noGrad = no_grad();
        return model.call(xb);
    }

    /// <inheritdoc/>
    public void SetTraining(bool training) => model.train(training);
}

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
