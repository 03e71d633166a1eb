using System.Collections;
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

    /// <summary>Whether <paramref name="path"/> names a state_dict file by its extension (<c>.pt</c>, <c>.pth</c>, <c>.bin</c>, <c>.safetensors</c>).</summary>
    public static bool Handles(string path) =>
        Path.GetExtension(path).ToLowerInvariant() is ".pt" or ".pth" or ".bin" or ".safetensors";

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
    /// <c>.safetensors</c> file, recognised by its content. nh comes from the shape of <c>0.weight</c>.
    /// </summary>
    /// <returns>The four tensors in <see cref="Keys"/> order, as float32.</returns>
    /// <exception cref="CheckpointException">The file is missing, unreadable, in neither format, or not the lesson's model.</exception>
    public static IReadOnlyList<CheckpointTensor> Load(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        using var scope = NewDisposeScope();
        Dictionary<string, Tensor> dict;
        try
        {
            using var stream = File.OpenRead(path);
            Span<byte> head = stackalloc byte[4];
            var zip = stream.Read(head) == 4 && head.SequenceEqual("PK\x03\x04"u8);
            stream.Position = 0;
            dict = zip
                ? PyTorchUnpickler.UnpickleStateDict(stream, leaveOpen: true).Cast<DictionaryEntry>().ToDictionary(e => $"{e.Key}", e => e.Value as Tensor ?? throw new InvalidDataException($"{e.Key} is not a tensor"))
                : Safetensors.LoadStateDict(stream, leaveOpen: true);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new CheckpointException(path, "no such file; pass a .pt saved by torch.save(model.state_dict(), f), a .safetensors file, or a checkpoint.ckpt", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException && e is not InvalidDataException and not EndOfStreamException)
        {
            throw new CheckpointException(path, $"cannot be read ({e.Message})", e);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // PyBridge reports foreign and damaged files with whatever its parsers throw (zip, pickle, JSON, casts).
            throw new CheckpointException(path, $"is not a readable PyTorch state_dict ({e.Message.TrimEnd('.')}); pass a .pt written by torch.save(model.state_dict(), f) or a .safetensors file", e);
        }
        return Validate(path, dict);
    }

    // The lesson's model, and nothing else: four float tensors of matching shapes.
    private static CheckpointTensor[] Validate(string path, Dictionary<string, Tensor> dict)
    {
        var shapes = string.Join(", ", dict.Select(kv => $"{kv.Key} ({string.Join(", ", kv.Value.shape)})"));
        var notLesson = $"holds {shapes}, not the lesson's nn.Sequential(nn.Linear(784, nh), nn.ReLU(), nn.Linear(nh, 10)) state_dict (0.weight (nh, 784), 0.bias (nh), 2.weight (10, nh), 2.bias (10))";
        if (dict.Count != Keys.Length || !Keys.All(dict.ContainsKey) || dict["0.weight"].dim() != 2) throw new CheckpointException(path, notLesson);
        var nh = dict["0.weight"].shape[0];
        long[][] expected = [[nh, 784], [nh], [10, nh], [10]];
        if (nh < 1 || !Keys.Zip(expected).All(k => dict[k.First].shape.SequenceEqual(k.Second))) throw new CheckpointException(path, notLesson);
        if (Keys.Any(k => !dict[k].is_floating_point())) throw new CheckpointException(path, "holds tensors that are not floating point; save the model's float32 weights");
        return [.. Keys.Zip(expected, (k, shape) => new CheckpointTensor(k, shape, dict[k].to_type(ScalarType.Float32).contiguous().data<float>().ToArray()))];
    }
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

    /// <summary>Reads <paramref name="path"/>: a state_dict when its extension says so (<see cref="StateDictFile.Handles"/>), else a checkpoint.</summary>
    /// <exception cref="CheckpointException">The file cannot be read as what it claims to be.</exception>
    public static ModelWeights Load(string path)
    {
        if (StateDictFile.Handles(path)) return new ModelWeights(StateDictFile.Load(path), null);
        var ckpt = CheckpointFile.Load(path);
        return new ModelWeights(ckpt.Weights, ckpt);
    }
}
