using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Backprop.Training;

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
/// <param name="opt">The optimizer over the model's parameters (<c>optim.SGD</c>, or the hand-written <see cref="Optimizer"/>).</param>
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
