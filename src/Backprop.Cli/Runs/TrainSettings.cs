using Backprop.Training;

namespace Backprop.Cli.Runs;

/// <summary>What a <c>backprop train</c> run trains: the lesson's final stage by default (784-50-10, ReLU, cross-entropy, SGD lr 0.5, bs 50, 5 epochs, seed 1).</summary>
/// <param name="Hidden">Hidden units, the lesson's <c>nh</c>.</param>
/// <param name="Loss">The loss the model trains on.</param>
/// <param name="Gradients">Who computes the gradients: TorchSharp's autograd or lesson 03's manual backward.</param>
/// <param name="LearningRate">SGD's learning rate.</param>
/// <param name="BatchSize">Training batch size, the lesson's <c>bs</c> (validation uses 2 × bs).</param>
/// <param name="Epochs">Epochs to reach in total (a resumed run continues up to this number).</param>
/// <param name="Seed">The <c>torch.manual_seed</c> the run starts from.</param>
internal sealed record TrainSettings(
    int Hidden = 50,
    LossKind Loss = LossKind.CrossEntropy,
    GradientKind Gradients = GradientKind.Autograd,
    double LearningRate = 0.5,
    int BatchSize = 50,
    int Epochs = 5,
    long Seed = 1)
{
    /// <summary>The most hidden units: 784 × 100,000 float32 weights are 314 MB, and their gradients as much again.</summary>
    public const int MaxHidden = 100_000;

    /// <summary>The largest batch: twice MNIST's 50,000 training images (validation batches are 2 × bs, which must fit an int).</summary>
    public const int MaxBatchSize = 100_000;

    /// <summary>The most epochs a run may ask for.</summary>
    public const int MaxEpochs = 100_000;

    /// <summary>The largest learning rate: beyond it SGD's steps overflow float32 long before they teach anything.</summary>
    public const double MaxLearningRate = 1000;

    /// <summary>Checks every value and names the first bad one with its range.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of range.</exception>
    public TrainSettings Validate()
    {
        InRange(Hidden, 1, MaxHidden, "hidden");
        InRange(BatchSize, 1, MaxBatchSize, "batch_size");
        InRange(Epochs, 1, MaxEpochs, "epochs");
        if (!double.IsFinite(LearningRate) || LearningRate <= 0 || LearningRate > MaxLearningRate)
            throw new ArgumentOutOfRangeException(nameof(LearningRate), LearningRate, $"learning_rate must be above 0 and at most {MaxLearningRate}, got {LearningRate}");
        if (!Enum.IsDefined(Loss)) throw new ArgumentOutOfRangeException(nameof(Loss), Loss, $"loss {(int)Loss} is not ce or mse");
        if (!Enum.IsDefined(Gradients)) throw new ArgumentOutOfRangeException(nameof(Gradients), Gradients, $"gradients {(int)Gradients} is not autograd or manual");
        return this;
    }

    private static void InRange(int value, int min, int max, string name)
    {
        if (value < min || value > max) throw new ArgumentOutOfRangeException(name, value, $"{name} must be from {min} to {max:N0}, got {value}");
    }
}

/// <summary>Settings that cannot go together, such as resuming a checkpoint with a different model. The message says what to change.</summary>
/// <param name="message">The conflict and what to do.</param>
internal sealed class TrainSettingsException(string message) : Exception(message);

/// <summary>
/// The settings a user gave explicitly (<c>null</c>: not given). A new run applies them to the defaults; a resumed run
/// applies them to the checkpoint's settings, where changing the model or the random stream is refused.
/// </summary>
/// <param name="Hidden">Hidden units (<c>--hidden</c>).</param>
/// <param name="Loss">The loss (<c>--loss</c>).</param>
/// <param name="Gradients">Autograd or manual (<c>--gradients</c>).</param>
/// <param name="LearningRate">SGD's learning rate (<c>--lr</c>).</param>
/// <param name="BatchSize">Training batch size (<c>--batch-size</c>).</param>
/// <param name="Epochs">Total epochs to reach (<c>--epochs</c>).</param>
/// <param name="Seed">The random seed (<c>--seed</c>).</param>
internal sealed record TrainOverrides(
    int? Hidden = null,
    LossKind? Loss = null,
    GradientKind? Gradients = null,
    double? LearningRate = null,
    int? BatchSize = null,
    int? Epochs = null,
    long? Seed = null)
{
    /// <summary>The defaults with these overrides, checked.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of range.</exception>
    public TrainSettings ForNewRun() => Apply(new TrainSettings()).Validate();

    /// <summary>
    /// The checkpoint's <paramref name="saved"/> settings with these overrides. The learning rate and the batch size may
    /// change; the model (<c>--hidden</c>, <c>--loss</c>, <c>--gradients</c>) and <c>--seed</c> may not, and
    /// <c>--epochs</c> must go beyond the <paramref name="done"/> epochs.
    /// </summary>
    /// <exception cref="TrainSettingsException">An override contradicts the checkpoint.</exception>
    public TrainSettings ForResume(TrainSettings saved, int done)
    {
        ArgumentNullException.ThrowIfNull(saved);
        Same("--hidden", Hidden, saved.Hidden);
        Same("--loss", Loss, saved.Loss);
        Same("--gradients", Gradients, saved.Gradients);
        Same("--seed", Seed, saved.Seed);
        var settings = Apply(saved).Validate();
        if (settings.Epochs <= done)
            throw new TrainSettingsException($"the checkpoint already holds {done} epoch(s) and the run asks for {settings.Epochs} in total; pass --epochs {done + 1} or more to train further");
        return settings;
    }

    private TrainSettings Apply(TrainSettings s) => s with
    {
        Hidden = Hidden ?? s.Hidden,
        Loss = Loss ?? s.Loss,
        Gradients = Gradients ?? s.Gradients,
        LearningRate = LearningRate ?? s.LearningRate,
        BatchSize = BatchSize ?? s.BatchSize,
        Epochs = Epochs ?? s.Epochs,
        Seed = Seed ?? s.Seed,
    };

    private static void Same<T>(string option, T? given, T saved) where T : struct
    {
        if (given is { } g && !EqualityComparer<T>.Default.Equals(g, saved))
            throw new TrainSettingsException($"{option} {Name(g)} contradicts the checkpoint, which was trained with {option} {Name(saved)}; leave {option} out to continue it");
    }

    /// <summary>How the command line spells a value.</summary>
    public static string Name(object value) => value switch
    {
        LossKind.CrossEntropy => "cross_entropy",
        LossKind.Mse => "mse",
        GradientKind g => g.ToString().ToLowerInvariant(),
        IFormattable f => f.ToString(null, System.Globalization.CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };
}

/// <summary>Who computes the gradients during training.</summary>
internal enum GradientKind
{
    /// <summary>TorchSharp's autograd (<c>loss.backward()</c>).</summary>
    Autograd,

    /// <summary>Lesson 03's hand-written backward pass.</summary>
    Manual,
}
