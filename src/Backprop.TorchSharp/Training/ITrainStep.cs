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
