using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Backprop.Training;

namespace Backprop.Cli.Runs;

/// <summary>What a <c>backprop train</c> run trains: the lesson's final stage by default (784-50-10, ReLU, cross-entropy, SGD lr 0.5, bs 50, 5 epochs, seed 1).</summary>
/// <param name="Hidden">The hidden layers' widths: one, the lesson's <c>nh</c> (50 when not given), or more.</param>
/// <param name="Loss">The loss the model trains on.</param>
/// <param name="Gradients">Who computes the gradients: TorchSharp's autograd or lesson 03's manual backward.</param>
/// <param name="LearningRate">SGD's learning rate.</param>
/// <param name="BatchSize">Training batch size, the lesson's <c>bs</c> (validation uses 2 × bs).</param>
/// <param name="Epochs">Epochs to reach in total (a resumed run continues up to this number).</param>
/// <param name="Seed">The <c>torch.manual_seed</c> the run starts from.</param>
internal sealed record TrainSettings(
    HiddenLayers? Hidden = null,
    LossKind Loss = LossKind.CrossEntropy,
    GradientKind Gradients = GradientKind.Autograd,
    double LearningRate = 0.5,
    int BatchSize = 50,
    int Epochs = 5,
    long Seed = 1)
{
    /// <summary>The hidden layers' widths.</summary>
    public HiddenLayers Hidden { get; init; } = Hidden ?? HiddenLayers.Lesson;

    /// <summary>The most units in one hidden layer: 784 × 100,000 float32 weights are 314 MB, and their gradients as much again.</summary>
    public const int MaxHidden = HiddenLayers.MaxWidth;

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
        ArgumentNullException.ThrowIfNull(Hidden); // a HiddenLayers is within its bounds by construction
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
/// <param name="Hidden">The hidden layers' widths (<c>--hidden</c>).</param>
/// <param name="Loss">The loss (<c>--loss</c>).</param>
/// <param name="Gradients">Autograd or manual (<c>--gradients</c>).</param>
/// <param name="LearningRate">SGD's learning rate (<c>--lr</c>).</param>
/// <param name="BatchSize">Training batch size (<c>--batch-size</c>).</param>
/// <param name="Epochs">Total epochs to reach (<c>--epochs</c>).</param>
/// <param name="Seed">The random seed (<c>--seed</c>).</param>
internal sealed record TrainOverrides(
    HiddenLayers? Hidden = null,
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

    private static void Same(string option, object? given, object saved)
    {
        if (given is not null && !given.Equals(saved))
            throw new TrainSettingsException($"{option} {Name(given)} contradicts the checkpoint, which was trained with {option} {Name(saved)}; leave {option} out to continue it");
    }

    /// <summary>How the command line spells a value.</summary>
    public static string Name(object value) => value switch
    {
        LossKind.CrossEntropy => "cross_entropy",
        LossKind.Mse => "mse",
        GradientKind g => g.ToString().ToLowerInvariant(),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
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

/// <summary>
/// The hidden layers' widths, first to last, as <c>--hidden</c> takes them: <c>100,50</c> is 784-100-50-10,
/// <c>nn.Sequential(nn.Linear(784, 100), nn.ReLU(), nn.Linear(100, 50), nn.ReLU(), nn.Linear(50, 10))</c>; one width is the
/// lesson's 784-nh-10. Within its bounds by construction, compared by value; JSON writes it as an array (<c>[100, 50]</c>).
/// </summary>
/// <remarks>
/// The bounds: each width 1 to <see cref="MaxWidth"/> (as one hidden layer always had), at most <see cref="MaxCount"/> hidden
/// layers, and at most <see cref="MaxParameters"/> weights and biases in all, so that a checkpoint (4 bytes a weight) stays
/// under its 512 MiB (<see cref="CheckpointFile.MaxBytes"/>) with room for its history, and training holds the weights, their
/// gradients and a manual path's copy in a few GB.
/// </remarks>
[JsonConverter(typeof(JsonForm))]
internal sealed class HiddenLayers : IEquatable<HiddenLayers>
{
    /// <summary>The most units in one hidden layer.</summary>
    public const int MaxWidth = 100_000;

    /// <summary>The most hidden layers: deeper than any MLP that trains on MNIST with plain SGD, and a state_dict of 66 tensors.</summary>
    public const int MaxCount = 32;

    /// <summary>The most weights and biases in all: 400 MB of float32, under the checkpoint's 512 MiB with room for its header.</summary>
    public const long MaxParameters = 100_000_000;

    /// <summary>The model's inputs (MNIST's 28 × 28 pixels) and classes.</summary>
    public const int Inputs = 784, Classes = 10;

    private readonly int[] _widths;

    /// <summary>The lesson's one hidden layer of 50.</summary>
    public static HiddenLayers Lesson { get; } = new(50);

    /// <param name="widths">First to last.</param>
    /// <exception cref="ArgumentOutOfRangeException">The widths are outside the bounds; the message says which, as <c>hidden ...</c>.</exception>
    public HiddenLayers(params IReadOnlyList<int> widths)
    {
        ArgumentNullException.ThrowIfNull(widths);
        if (Problem([.. widths.Select(w => (long)w)]) is { } problem) throw new ArgumentOutOfRangeException(nameof(widths), $"hidden {problem}");
        _widths = [.. widths];
    }

    /// <summary>One hidden layer of <paramref name="nh"/> units, the lesson's form.</summary>
    public static implicit operator HiddenLayers(int nh) => new(nh);

    /// <summary>The widths, first to last.</summary>
    public IReadOnlyList<int> Widths => _widths;

    /// <summary>The number of hidden layers.</summary>
    public int Count => _widths.Length;

    /// <summary>The weights and biases of the model: Σ (in + 1) · out over its <c>nn.Linear</c>s.</summary>
    public long Parameters => ParameterCount([.. _widths.Select(w => (long)w)]);

    /// <summary>The model as the runner names it: <c>784-100-50-10</c>.</summary>
    public string Architecture => $"{Inputs}-{string.Join("-", _widths)}-{Classes}";

    /// <summary>The model as PyTorch builds it: <c>nn.Sequential(nn.Linear(784, 100), nn.ReLU(), nn.Linear(100, 50), nn.ReLU(), nn.Linear(50, 10))</c>.</summary>
    public string Module
    {
        get
        {
            int[] sizes = [Inputs, .. _widths, Classes];
            return $"nn.Sequential({string.Join(", nn.ReLU(), ", sizes.Zip(sizes.Skip(1)).Select(p => $"nn.Linear({p.First}, {p.Second})"))})";
        }
    }

    /// <summary>The <c>nn.Sequential</c>'s <c>state_dict</c>: <c>0.weight</c> (h1, 784), <c>0.bias</c> (h1), <c>2.weight</c> (h2, h1), ..., the last <c>.bias</c> (10).</summary>
    public IEnumerable<(string Name, long[] Shape)> StateDict()
    {
        long[] sizes = [Inputs, .. _widths.Select(w => (long)w), Classes];
        for (var l = 0; l + 1 < sizes.Length; l++)
        {
            yield return ($"{2 * l}.weight", [sizes[l + 1], sizes[l]]);
            yield return ($"{2 * l}.bias", [sizes[l + 1]]);
        }
    }

    /// <summary>What is out of bounds in <paramref name="widths"/>, as a fragment after "hidden" (or "--hidden"); <see langword="null"/> when they are within them.</summary>
    public static string? Problem(IReadOnlyList<long> widths)
    {
        ArgumentNullException.ThrowIfNull(widths);
        if (widths.Count == 0) return "needs at least one hidden layer's width";
        if (widths.Count > MaxCount) return $"may have at most {MaxCount} hidden layers, got {widths.Count}";
        for (var i = 0; i < widths.Count; i++)
            if (widths[i] is < 1 or > MaxWidth)
                return $"must be from 1 to {MaxWidth:N0}, got {widths[i]}" + (widths.Count > 1 ? $" (hidden layer {i + 1})" : "");
        var parameters = ParameterCount(widths);
        return parameters <= MaxParameters ? null
            : $"{string.Join(",", widths)} makes a model of {parameters:N0} weights and biases, more than the {MaxParameters:N0} backprop trains (its checkpoint must stay under {CheckpointFile.MaxBytes:N0} bytes); use fewer or narrower layers";
    }

    /// <summary>Parses <c>--hidden</c>: one whole number, or several separated by commas (spaces around them allowed).</summary>
    /// <returns>The layers, or <see langword="null"/> with <paramref name="problem"/> saying what is wrong, as a fragment after "--hidden".</returns>
    public static HiddenLayers? Parse(string text, out string? problem)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (string.IsNullOrWhiteSpace(text))
        {
            problem = "needs at least one width, e.g. 50 (784-50-10) or 100,50 (784-100-50-10)";
            return null;
        }
        var parts = text.Split(',');
        var widths = new long[parts.Length];
        for (var i = 0; i < parts.Length; i++)
        {
            var part = parts[i].Trim();
            if (part.Length == 0)
            {
                problem = $"'{text}' has an empty width (number {i + 1}); separate the widths with single commas, e.g. 100,50";
                return null;
            }
            if (!long.TryParse(part, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out widths[i]))
            {
                var digits = part.TrimStart('-', '+');
                problem = digits.Length > 0 && digits.All(char.IsAsciiDigit)
                    ? $"must be from 1 to {MaxWidth:N0}, got {part}" // a whole number, beyond a long
                    : $"'{text}': '{part}' is not a whole number; give whole numbers separated by commas, e.g. 100,50";
                return null;
            }
        }
        problem = Problem(widths);
        return problem is null ? new HiddenLayers([.. widths.Select(w => (int)w)]) : null;
    }

    /// <summary>As <c>--hidden</c> takes it: <c>100,50</c>.</summary>
    public override string ToString() => string.Join(",", _widths);

    public bool Equals(HiddenLayers? other) => other is not null && _widths.AsSpan().SequenceEqual(other._widths);

    public override bool Equals(object? obj) => Equals(obj as HiddenLayers);

    public override int GetHashCode() => _widths.Aggregate(17, HashCode.Combine);

    /// <summary>The weights and biases of 784-<paramref name="widths"/>-10.</summary>
    public static long ParameterCount(IReadOnlyList<long> widths)
    {
        ArgumentNullException.ThrowIfNull(widths);
        long[] sizes = [Inputs, .. widths, Classes];
        return sizes.Zip(sizes.Skip(1)).Sum(p => checked((p.First + 1) * p.Second));
    }

    /// <summary>The JSON form: an array of widths, <c>[100, 50]</c>.</summary>
    private sealed class JsonForm : JsonConverter<HiddenLayers>
    {
        public override bool HandleNull => true; // "hidden": null is refused, not read as the default

        public override HiddenLayers Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            if (reader.TokenType != JsonTokenType.StartArray) throw new JsonException("hidden is not an array of widths");
            var widths = new List<int>();
            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            {
                if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt32(out var w)) throw new JsonException("hidden holds something other than whole numbers");
                if (widths.Count == MaxCount) throw new JsonException($"hidden may have at most {MaxCount} hidden layers");
                widths.Add(w);
            }
            return new HiddenLayers(widths);
        }

        public override void Write(Utf8JsonWriter writer, HiddenLayers value, JsonSerializerOptions options)
        {
            writer.WriteStartArray();
            foreach (var w in value._widths) writer.WriteNumberValue(w);
            writer.WriteEndArray();
        }
    }
}
