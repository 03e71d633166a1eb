namespace Backprop.Training;

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
public sealed record TrainOverrides(
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
        LossKind.CrossEntropy => "ce",
        LossKind.Mse => "mse",
        GradientKind g => g.ToString().ToLowerInvariant(),
        IFormattable f => f.ToString(null, System.Globalization.CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };
}
