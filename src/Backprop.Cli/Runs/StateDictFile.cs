using System.Globalization;
using System.IO.Compression;
using Backprop.Data;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace Backprop.Cli.Runs;

/// <summary>The formats a model's weights are exported in.</summary>
internal enum ExportFormat
{
    /// <summary>PyTorch's <c>torch.save</c> file of the <c>state_dict</c> (a zip archive holding a pickle).</summary>
    Pt,

    /// <summary>The <c>safetensors</c> format: a JSON header, then the raw little-endian tensors.</summary>
    Safetensors,

    /// <summary>An ONNX graph (<see cref="OnnxModel"/>).</summary>
    Onnx,
}

/// <summary>
/// The <c>state_dict</c> of <c>nn.Sequential(nn.Linear(784, h1), nn.ReLU(), ..., nn.Linear(hL, 10))</c> (the lesson's
/// 784-nh-10, or deeper) as PyTorch itself saves it: <c>.pt</c> (read by <c>torch.load</c>) and <c>.safetensors</c>, both
/// through TorchSharp.PyBridge. The keys are numbered as <c>nn.Sequential</c> numbers its modules, the ReLUs holding none:
/// <c>0.weight</c> (h1, 784), <c>0.bias</c> (h1), <c>2.weight</c> (h2, h1), ..., the last <c>.weight</c> (10, hL) and <c>.bias</c> (10), float32.
/// </summary>
internal static class StateDictFile
{
    /// <summary>Writes <paramref name="weights"/> to <paramref name="path"/> in <paramref name="format"/> (pt or safetensors), atomically.</summary>
    public static void Save(string path, IReadOnlyList<CheckpointTensor> weights, ExportFormat format)
    {
        ArgumentNullException.ThrowIfNull(weights);
        using var scope = NewDisposeScope();
        var dict = weights.ToDictionary(w => w.Name, w => tensor(w.Values).reshape(w.Shape)); // insertion order is the key order
        AtomicFile.Write(path, s =>
        {
            switch (format)
            {
                case ExportFormat.Pt: PyTorchPickler.PickleStateDict(s, dict, leaveOpen: true); break;
                case ExportFormat.Safetensors: Safetensors.SaveStateDict(s, dict, leaveOpen: true); break;
                default: throw new ArgumentOutOfRangeException(nameof(format), format, "not a state_dict format");
            }
        });
    }

    /// <summary>
    /// Reads the model's state_dict from a <c>.pt</c> (<c>torch.save(model.state_dict(), f)</c>) or <c>.safetensors</c>
    /// file, recognised by its content, with a checkpoint's bounds: at most <see cref="CheckpointFile.MaxBytes"/>, the
    /// <see cref="HiddenLayers"/> bounds (widths, depth, weights in all), finite weights. The depth comes from the keys
    /// (0, 2, 4, ..., consecutive) and the shapes must chain 784 → h1 → ... → 10. Every declaration (keys, shapes, types,
    /// where the bytes are) is checked against the file before any tensor is read.
    /// </summary>
    /// <returns>The tensors in <see cref="HiddenLayers.StateDict"/> order, as float32.</returns>
    /// <exception cref="CheckpointException">The file is missing, unreadable, in neither format, or not such a model.</exception>
    public static IReadOnlyList<CheckpointTensor> Load(string path)
    {
        using var file = ModelFile.Open(path);
        try
        {
            var kind = ModelFile.Sniff(file);
            if (kind is not (ModelFileKind.Pt or ModelFileKind.Safetensors)) throw new CheckpointException(path, ModelFile.NotAStateDict(kind));
            using var zip = kind == ModelFileKind.Pt ? Zip(file) : null;
            var declared = zip is null ? SafetensorsFile.Declare(file) : PtFile.Declare(path, zip, CheckpointFile.MaxBytes);
            return [.. Validate(path, declared).Select(t => Read(path, t.Name, t.Tensor))]; // only now are the tensors' bytes read
        }
        catch (InvalidDataException e)
        {
            throw new CheckpointException(path, $"is not a readable PyTorch state_dict: {e.Message.TrimEnd('.')}; pass a .pt written by torch.save(model.state_dict(), f) or a .safetensors file", e);
        }
        catch (DataFileException e) // the pickle machine's refusals
        {
            throw new CheckpointException(path, $"is not a readable PyTorch state_dict: {e.Problem.TrimEnd('.')}; pass a .pt written by torch.save(model.state_dict(), f)", e);
        }
        catch (EndOfStreamException e)
        {
            throw new CheckpointException(path, "is truncated, or changed while it was read", e);
        }
        catch (IOException e)
        {
            throw new CheckpointException(path, $"cannot be read ({e.Message.TrimEnd('.')})", e);
        }
    }

    /// <summary>
    /// Whether <paramref name="file"/> already holds such a model's state_dict (of any depth) in <paramref name="format"/>:
    /// what <c>backprop export</c> may replace. Its declarations are read and checked, not just a signature.
    /// </summary>
    public static bool Holds(Stream file, ExportFormat format)
    {
        ArgumentNullException.ThrowIfNull(file);
        try
        {
            var kind = ModelFile.Sniff(file);
            if (kind != (format == ExportFormat.Pt ? ModelFileKind.Pt : ModelFileKind.Safetensors)) return false;
            using var zip = kind == ModelFileKind.Pt ? Zip(file) : null;
            _ = Validate("", zip is null ? SafetensorsFile.Declare(file) : PtFile.Declare("", zip, CheckpointFile.MaxBytes));
            return true;
        }
        catch (Exception e) when (e is InvalidDataException or IOException or CheckpointException or DataFileException)
        {
            return false;
        }
    }

    private static ZipArchive Zip(Stream file)
    {
        try
        {
            return new ZipArchive(file, ZipArchiveMode.Read, leaveOpen: true);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"it starts as a zip archive but is truncated or damaged ({e.Message.TrimEnd('.')})", e);
        }
    }

    /// <summary>The hidden layers of <paramref name="weights"/>, a state_dict in <see cref="HiddenLayers.StateDict"/> order (one that <see cref="Load"/> or a checkpoint gave).</summary>
    /// <exception cref="ArgumentException">The weights are not such a state_dict.</exception>
    public static HiddenLayers HiddenOf(IReadOnlyList<CheckpointTensor> weights)
    {
        ArgumentNullException.ThrowIfNull(weights);
        var outputs = weights.Where((_, i) => i % 2 == 0).Select(w => w.Shape is [var o, _] && o is > 0 and <= int.MaxValue ? (int)o : 0).ToArray();
        var hidden = outputs.Length < 2 || HiddenLayers.Problem([.. outputs[..^1].Select(o => (long)o)]) is not null ? null : new HiddenLayers(outputs[..^1]);
        if (hidden is null || !hidden.StateDict().Select(k => (k.Name, string.Join(",", k.Shape))).SequenceEqual(weights.Select(w => (w.Name, string.Join(",", w.Shape)))))
            throw new ArgumentException($"the tensors {string.Join(", ", weights.Select(w => $"{w.Name} ({string.Join(", ", w.Shape)})"))} are not the state_dict of {Model}", nameof(weights));
        return hidden;
    }

    // An MLP of the runner's, and nothing else: the keys 0, 2, 4, ... of nn.Linear layers whose shapes chain 784 → ... → 10,
    // within the HiddenLayers bounds, of floating point.
    private static (string Name, DeclaredTensor Tensor)[] Validate(string path, List<(string Name, DeclaredTensor Tensor)> declared)
    {
        if (declared.Count == 0) throw new CheckpointException(path, $"holds no tensors (an empty state_dict), not the state_dict of {Model}");
        var dict = declared.ToDictionary(d => d.Name, d => d.Tensor);
        if (Refusal(declared, dict) is { } why) throw new CheckpointException(path, why);
        var keys = HiddenOf(dict).StateDict().Select(k => k.Name).ToArray();
        if (keys.FirstOrDefault(k => dict[k].Storage.Type == ElementType.Other) is { } integer)
            throw new CheckpointException(path, $"holds {integer} as {dict[integer].Storage.TypeName}, not floating point; save the model's float32 weights");
        return [.. keys.Select(k => (k, dict[k]))];
    }

    // Why the declared tensors are not such a model's state_dict (the depth read from the keys), or null when they are one.
    private static string? Refusal(List<(string Name, DeclaredTensor Tensor)> declared, Dictionary<string, DeclaredTensor> dict)
    {
        string NotModel(string why) =>
            $"holds {string.Join(", ", declared.Select(d => $"{d.Name} ({string.Join(", ", d.Tensor.Shape)})"))}, not the state_dict of {Model}: {why}";
        var layers = new SortedDictionary<long, (DeclaredTensor? W, DeclaredTensor? B)>();
        foreach (var (name, t) in dict)
        {
            var dot = name.IndexOf('.', StringComparison.Ordinal);
            var number = dot > 0 ? name[..dot] : "";
            var index = number.Length > 0 && number.All(char.IsAsciiDigit) && (number == "0" || number[0] != '0') && long.TryParse(number, CultureInfo.InvariantCulture, out var i) ? i : -1;
            var kind = name[(dot + 1)..];
            if (index < 0 || kind is not ("weight" or "bias")) return NotModel($"{name} is not the weight or bias of an nn.Linear in it");
            var (w, b) = layers.GetValueOrDefault(index);
            layers[index] = kind == "weight" ? (t, b) : (w, t);
        }
        if (layers.Keys.Where((k, n) => k != 2 * n).Any())
            return NotModel($"its layers are numbered {string.Join(", ", layers.Keys)}, where nn.Sequential(Linear, ReLU, Linear, ...) numbers them 0, 2, 4, ...");
        if (layers.Count > HiddenLayers.MaxCount + 1)
            return $"holds a model of {layers.Count - 1} hidden layers, more than the {HiddenLayers.MaxCount} backprop trains or reads";
        if (layers.Count < 2) return NotModel("it has one nn.Linear (784-10, no hidden layer); backprop's models have one hidden layer or more");
        long inputs = HiddenLayers.Inputs;
        var widths = new List<long>();
        foreach (var (index, (w, b)) in layers)
        {
            if (w is null) return NotModel($"{index}.bias has no {index}.weight");
            if (b is null) return NotModel($"{index}.weight has no {index}.bias");
            if (w.Shape is not [var outputs, var ins]) return NotModel($"{index}.weight is ({string.Join(", ", w.Shape)}), not an nn.Linear's (out, in)");
            if (ins != inputs)
                return NotModel(index == 0 ? $"0.weight takes {ins:N0} inputs, not MNIST's {HiddenLayers.Inputs}" : $"{index}.weight takes {ins:N0} inputs, but {index - 2}.weight gives {inputs:N0}");
            if (b.Shape is not [var bias] || bias != outputs) return NotModel($"{index}.bias is ({string.Join(", ", b.Shape)}), but {index}.weight gives {outputs:N0} outputs");
            widths.Add(outputs);
            inputs = outputs;
        }
        if (inputs != HiddenLayers.Classes) return NotModel($"its last layer, {layers.Keys.Last()}.weight, gives {inputs:N0} outputs, not MNIST's {HiddenLayers.Classes} classes");
        widths.RemoveAt(widths.Count - 1);
        if (widths.IndexOf(0) is var empty and >= 0) return NotModel($"{2 * empty}.weight gives no outputs: a hidden layer of 0 units");
        if (widths.FindIndex(h => h > HiddenLayers.MaxWidth) is var wide and >= 0)
            return $"holds a model of nh = {widths[wide]:N0} hidden units{(widths.Count > 1 ? $" in hidden layer {wide + 1}" : "")}, more than the {HiddenLayers.MaxWidth:N0} backprop trains or reads";
        var parameters = HiddenLayers.ParameterCount(widths);
        return parameters <= HiddenLayers.MaxParameters ? null
            : $"holds a model of {parameters:N0} weights and biases ({HiddenLayers.Inputs}-{string.Join("-", widths)}-{HiddenLayers.Classes}), more than the {HiddenLayers.MaxParameters:N0} backprop trains or reads";
    }

    private static HiddenLayers HiddenOf(Dictionary<string, DeclaredTensor> dict) =>
        new([.. Enumerable.Range(0, (dict.Count / 2) - 1).Select(l => checked((int)dict[$"{2 * l}.weight"].Shape[0]))]);

    private static CheckpointTensor Read(string path, string name, DeclaredTensor t)
    {
        var values = t.Values();
        if (values.Any(v => !float.IsFinite(v)))
            throw new CheckpointException(path, $"holds a NaN or infinite weight in {name} (or one beyond float32's range); a model that diverged cannot make predictions: use the weights of an earlier epoch");
        return new CheckpointTensor(name, t.Shape, values);
    }

    /// <summary>The model a state_dict must hold, in words, for errors.</summary>
    public const string Model = "nn.Sequential(nn.Linear(784, h1), nn.ReLU(), ..., nn.Linear(hL, 10)) (the lesson's 784-nh-10, or deeper; keys 0.weight, 0.bias, 2.weight, 2.bias, ... as nn.Sequential numbers them)";
}

/// <summary>What a model file holds, judged by its content rather than its name.</summary>
internal enum ModelFileKind
{
    /// <summary>A <c>backprop train</c> checkpoint (its signature line).</summary>
    Checkpoint,

    /// <summary>A zip archive, as <c>torch.save</c> writes.</summary>
    Pt,

    /// <summary>A safetensors header.</summary>
    Safetensors,

    /// <summary>An ONNX model (<c>backprop export --format onnx</c>).</summary>
    Onnx,

    /// <summary>None of these.</summary>
    Unknown,
}

/// <summary>Opens a model file through the file guard and tells by its first bytes which kind it is.</summary>
internal static class ModelFile
{
    /// <summary>Opens <paramref name="path"/> for reading: a regular file (a link to one is followed), at most <see cref="CheckpointFile.MaxBytes"/>.</summary>
    /// <exception cref="CheckpointException">It is missing, not a regular file, unreadable or too large.</exception>
    public static FileStream Open(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        FileStream file;
        try
        {
            file = PlainFile.OpenRead(path, bufferSize: 1 << 16);
        }
        catch (NotPlainFileException e) when (e.Kind == "a folder")
        {
            throw new CheckpointException(path, $"is a folder; pass the checkpoint inside it, e.g. {Path.Combine(path, "checkpoint.ckpt")}", e);
        }
        catch (NotPlainFileException e) // a FIFO would block open() for ever, /dev/zero would never end
        {
            throw new CheckpointException(path, $"is {e.Kind}, not a model file; pass a checkpoint.ckpt, a .pt or a .safetensors file", e);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new CheckpointException(path, "no such file; pass a checkpoint.ckpt (backprop train writes one after every epoch), a .pt saved by torch.save(model.state_dict(), f) or a .safetensors file", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CheckpointException(path, $"cannot be read ({e.Message.TrimEnd('.')})", e);
        }
        if (file.Length > CheckpointFile.MaxBytes)
        {
            file.Dispose();
            throw new CheckpointException(path, $"is {file.Length:N0} bytes, more than the {CheckpointFile.MaxBytes:N0} a model file backprop reads may have (at most {HiddenLayers.MaxParameters:N0} weights and biases)");
        }
        return file;
    }

    /// <summary>The kind of <paramref name="file"/>, from its first bytes (its position is left at 0).</summary>
    public static ModelFileKind Sniff(Stream file)
    {
        Span<byte> head = stackalloc byte[32];
        file.Position = 0;
        var n = file.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        head = head[..n];
        file.Position = 0;
        if (head.StartsWith("backprop-checkpoint\n"u8)) return ModelFileKind.Checkpoint;
        if (head.StartsWith("PK\u0003\u0004"u8)) return ModelFileKind.Pt;
        if (SafetensorsFile.LooksLike(head)) return ModelFileKind.Safetensors;
        if (OnnxModel.LooksLike(file)) return ModelFileKind.Onnx;
        file.Position = 0;
        return ModelFileKind.Unknown;
    }

    /// <summary>Why a file of <paramref name="kind"/> is not read as a state_dict, and what to pass instead.</summary>
    public static string NotAStateDict(ModelFileKind kind) => kind switch
    {
        ModelFileKind.Checkpoint => "is a backprop checkpoint, not a state_dict",
        ModelFileKind.Onnx => "is an ONNX model (as backprop export --format onnx writes); backprop reads weights from a checkpoint.ckpt, a .pt or a .safetensors file",
        _ => "is not a backprop checkpoint, a PyTorch .pt (a zip archive written by torch.save) or a .safetensors file; pass the checkpoint.ckpt that backprop train wrote, or a state_dict",
    };
}

/// <summary>A model's weights as a command reads them: from a <c>backprop train</c> checkpoint or from a PyTorch state_dict file.</summary>
/// <param name="Tensors">The tensors in <see cref="HiddenLayers.StateDict"/> order.</param>
/// <param name="Checkpoint">The checkpoint they came from; <see langword="null"/> for a state_dict file.</param>
internal sealed record ModelWeights(IReadOnlyList<CheckpointTensor> Tensors, Checkpoint? Checkpoint)
{
    /// <summary>The hidden layers: the checkpoint's settings, or read from the state_dict's shapes.</summary>
    public HiddenLayers Hidden => Checkpoint?.Settings.Hidden ?? StateDictFile.HiddenOf(Tensors);

    /// <summary>What the weights are, for a command's first line: the architecture and, for a checkpoint, how it was trained.</summary>
    public string Description => Checkpoint is { Settings: var s } c
        ? $"{s.Hidden.Architecture} after {c.Epochs} epoch(s), {TrainOverrides.Name(s.Loss)}, {TrainOverrides.Name(s.Gradients)} gradients"
        : $"{Hidden.Architecture} state_dict";

    /// <summary>Reads <paramref name="path"/>, by its content: a checkpoint, a <c>.pt</c> or a <c>.safetensors</c> state_dict, whatever its name.</summary>
    /// <exception cref="CheckpointException">The file is none of these, or cannot be read as what it is.</exception>
    public static ModelWeights Load(string path)
    {
        ModelFileKind kind;
        using (var file = ModelFile.Open(path)) kind = ModelFile.Sniff(file);
        if (kind != ModelFileKind.Checkpoint) return new ModelWeights(StateDictFile.Load(path), null);
        var ckpt = CheckpointFile.Load(path);
        return new ModelWeights(ckpt.Weights, ckpt);
    }
}
