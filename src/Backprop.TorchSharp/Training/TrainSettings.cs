namespace Backprop.Training;

/// <summary>What a <c>backprop train</c> run trains: the lesson's final stage by default (784-50-10, ReLU, cross-entropy, SGD lr 0.5, bs 50, 5 epochs, seed 1).</summary>
/// <param name="Hidden">Hidden units, the lesson's <c>nh</c>.</param>
/// <param name="Loss">The loss the model trains on.</param>
/// <param name="Gradients">Who computes the gradients: TorchSharp's autograd or lesson 03's manual backward.</param>
/// <param name="LearningRate">SGD's learning rate.</param>
/// <param name="BatchSize">Training batch size, the lesson's <c>bs</c> (validation uses 2 × bs).</param>
/// <param name="Epochs">Epochs to reach in total (a resumed run continues up to this number).</param>
/// <param name="Seed">The <c>torch.manual_seed</c> the run starts from.</param>
public sealed record TrainSettings(
    int Hidden = 50,
    LossKind Loss = LossKind.CrossEntropy,
    GradientKind Gradients = GradientKind.Autograd,
    double LearningRate = 0.5,
    int BatchSize = 50,
    int Epochs = 5,
    long Seed = 1)
{
    /// <summary>Checks every value and names the first bad one.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of range.</exception>
    public TrainSettings Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(Hidden, 1, nameof(Hidden));
        ArgumentOutOfRangeException.ThrowIfLessThan(BatchSize, 1, nameof(BatchSize));
        ArgumentOutOfRangeException.ThrowIfLessThan(Epochs, 1, nameof(Epochs));
        if (!double.IsFinite(LearningRate) || LearningRate <= 0)
            throw new ArgumentOutOfRangeException(nameof(LearningRate), LearningRate, "the learning rate must be a finite number above 0");
        return this;
    }
}
