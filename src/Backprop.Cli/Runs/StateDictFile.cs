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
/// The lesson's <c>nn.Sequential(nn.Linear(784, nh), nn.ReLU(), nn.Linear(nh, 10))</c> <c>state_dict</c> as PyTorch
/// itself saves it: <c>.pt</c> (read by <c>torch.load</c>) and <c>.safetensors</c>, both through TorchSharp.PyBridge.
/// The keys are <c>0.weight</c> (nh, 784), <c>0.bias</c> (nh), <c>2.weight</c> (10, nh) and <c>2.bias</c> (10), float32.
/// </summary>
internal static class StateDictFile
{
    /// <summary>The <c>state_dict</c> keys of the lesson's model, in its order.</summary>
    public static readonly string[] Keys = ["0.weight", "0.bias", "2.weight", "2.bias"];

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
    /// Reads the lesson model's state_dict from a <c>.pt</c> (<c>torch.save(model.state_dict(), f)</c>) or
    /// <c>.safetensors</c> file, recognised by its content, with a checkpoint's bounds: at most
    /// <see cref="CheckpointFile.MaxBytes"/>, nh at most <see cref="TrainSettings.MaxHidden"/>, finite weights. Every
    /// declaration (keys, shapes, types, where the bytes are) is checked against the file before any tensor is read.
    /// </summary>
    /// <returns>The four tensors in <see cref="Keys"/> order, as float32.</returns>
    /// <exception cref="CheckpointException">The file is missing, unreadable, in neither format, or not the lesson's model.</exception>
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
    /// Whether <paramref name="file"/> already holds the lesson model's state_dict in <paramref name="format"/>: what
    /// <c>backprop export</c> may replace. Its declarations are read and checked, not just a signature.
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

    // The lesson's model, and nothing else: four float tensors of matching shapes, nh within the runner's bounds.
    private static (string Name, DeclaredTensor Tensor)[] Validate(string path, List<(string Name, DeclaredTensor Tensor)> declared)
    {
        if (declared.Count == 0) throw new CheckpointException(path, $"holds no tensors (an empty state_dict), not the lesson's {Lesson}");
        var dict = declared.ToDictionary(d => d.Name, d => d.Tensor);
        var shapes = string.Join(", ", declared.Select(d => $"{d.Name} ({string.Join(", ", d.Tensor.Shape)})"));
        var notLesson = $"holds {shapes}, not the lesson's {Lesson}";
        if (dict.Count != Keys.Length || !Keys.All(dict.ContainsKey) || dict["0.weight"].Shape.Length != 2) throw new CheckpointException(path, notLesson);
        var nh = dict["0.weight"].Shape[0];
        long[][] expected = [[nh, 784], [nh], [10, nh], [10]];
        if (nh < 1 || !Keys.Zip(expected).All(k => dict[k.First].Shape.SequenceEqual(k.Second))) throw new CheckpointException(path, notLesson);
        if (nh > TrainSettings.MaxHidden)
            throw new CheckpointException(path, $"holds a model of nh = {nh:N0} hidden units, more than the {TrainSettings.MaxHidden:N0} backprop trains or reads");
        if (Keys.FirstOrDefault(k => dict[k].Storage.Type == ElementType.Other) is { } integer)
            throw new CheckpointException(path, $"holds {integer} as {dict[integer].Storage.TypeName}, not floating point; save the model's float32 weights");
        return [.. Keys.Select(k => (k, dict[k]))];
    }

    private static CheckpointTensor Read(string path, string name, DeclaredTensor t)
    {
        var values = t.Values();
        if (values.Any(v => !float.IsFinite(v)))
            throw new CheckpointException(path, $"holds a NaN or infinite weight in {name} (or one beyond float32's range); a model that diverged cannot make predictions: use the weights of an earlier epoch");
        return new CheckpointTensor(name, t.Shape, values);
    }

    private const string Lesson = "nn.Sequential(nn.Linear(784, nh), nn.ReLU(), nn.Linear(nh, 10)) state_dict (0.weight (nh, 784), 0.bias (nh), 2.weight (10, nh), 2.bias (10))";
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
            throw new CheckpointException(path, $"is {file.Length:N0} bytes, more than the {CheckpointFile.MaxBytes:N0} a model file backprop reads may have (nh at most {TrainSettings.MaxHidden:N0})");
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
/// <param name="Tensors">The four tensors in <see cref="StateDictFile.Keys"/> order.</param>
/// <param name="Checkpoint">The checkpoint they came from; <see langword="null"/> for a state_dict file.</param>
internal sealed record ModelWeights(IReadOnlyList<CheckpointTensor> Tensors, Checkpoint? Checkpoint)
{
    /// <summary>nh: the hidden layer's width (the rows of <c>0.weight</c>).</summary>
    public long Hidden => Tensors[0].Shape[0];

    /// <summary>What the weights are, for a command's first line: the architecture and, for a checkpoint, how it was trained.</summary>
    public string Description => Checkpoint is { Settings: var s } c
        ? $"784-{s.Hidden}-10 after {c.Epochs} epoch(s), {TrainOverrides.Name(s.Loss)}, {TrainOverrides.Name(s.Gradients)} gradients"
        : $"784-{Hidden}-10 state_dict";

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
