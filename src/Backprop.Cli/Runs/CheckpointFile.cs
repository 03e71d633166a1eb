using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Backprop.Data;
using Backprop.Training;

namespace Backprop.Cli.Runs;

/// <summary>
/// Reads and writes <see cref="Checkpoint"/>s. The format: the magic line <c>backprop-checkpoint\n</c>; the format version
/// (uint32, little-endian); the length of a UTF-8 JSON header (uint32) and the header (settings, history, optimizer, tensor
/// names and shapes); each tensor's float32 values (little-endian) in the header's order; the random state's bytes; and a
/// SHA-256 of everything before it. Writes are atomic; reads refuse foreign, newer, truncated and corrupt files by name.
/// </summary>
internal static class CheckpointFile
{
    /// <summary>The format this code writes, and the newest it reads. Format 3 writes the hidden layers as a list
    /// (<c>"hidden": [100, 50]</c>); formats 2 and 1 (one hidden layer, <c>"hidden": 50</c>) still read, and format 1's epochs
    /// (from 0) are renumbered from 1.</summary>
    public const int Version = 3;

    private static readonly byte[] Magic = "backprop-checkpoint\n"u8.ToArray();
    private const int HashBytes = 32;

    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower, allowIntegerValues: false) },
    };

    /// <summary>The largest checkpoint read: the most weights a model may have (<see cref="HiddenLayers.MaxParameters"/>) take 400 MB, one hidden layer of <see cref="TrainSettings.MaxHidden"/> units 318 MB.</summary>
    public const long MaxBytes = 512L << 20;

    /// <summary>Writes <paramref name="checkpoint"/> to <paramref name="path"/> atomically (temporary file, then rename).</summary>
    public static void Save(string path, Checkpoint checkpoint)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        var bytes = Serialize(checkpoint);
        AtomicFile.Write(path, s => s.Write(bytes));
    }

    /// <summary>The checkpoint's bytes, as <see cref="Save"/> writes them.</summary>
    public static byte[] Serialize(Checkpoint checkpoint)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        var header = new Header(checkpoint.Settings, [.. checkpoint.History], checkpoint.Optimizer,
            [.. checkpoint.Weights.Select(w => new TensorEntry(w.Name, w.Shape))], checkpoint.RngState.Length, [.. checkpoint.Kernels]);
        var json = JsonSerializer.SerializeToUtf8Bytes(header, Json);
        using var ms = new MemoryStream();
        ms.Write(Magic);
        WriteUInt32(ms, Version);
        WriteUInt32(ms, (uint)json.Length);
        ms.Write(json);
        foreach (var w in checkpoint.Weights)
        {
            if (w.Values.LongLength != w.Shape.Aggregate(1L, (a, b) => a * b))
                throw new ArgumentException($"tensor {w.Name} has {w.Values.Length} values for shape ({string.Join(", ", w.Shape)})", nameof(checkpoint));
            ms.Write(AsLittleEndian(w.Values));
        }
        ms.Write(checkpoint.RngState);
        ms.Write(SHA256.HashData(ms.GetBuffer().AsSpan(0, (int)ms.Length)));
        return ms.ToArray();
    }

    /// <summary>Reads the checkpoint at <paramref name="path"/>.</summary>
    /// <exception cref="CheckpointException">The file is missing, unreadable, not a checkpoint, from a newer version, truncated or corrupt.</exception>
    public static Checkpoint Load(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        byte[] bytes;
        try
        {
            using var f = PlainFile.OpenRead(path);
            var head = new byte[Magic.Length];
            if (f.ReadAtLeast(head, head.Length, throwOnEndOfStream: false) < head.Length || !head.AsSpan().SequenceEqual(Magic))
                throw NotACheckpoint(path);
            if (f.Length > MaxBytes)
                throw new CheckpointException(path, $"is {f.Length:N0} bytes, more than any checkpoint backprop writes ({MaxBytes:N0}); pass the checkpoint.ckpt that backprop train wrote");
            bytes = new byte[f.Length];
            head.CopyTo(bytes, 0);
            f.ReadExactly(bytes, head.Length, bytes.Length - head.Length);
        }
        catch (NotPlainFileException e) when (e.Kind == "a folder")
        {
            throw new CheckpointException(path, $"is a folder; pass the checkpoint inside it, e.g. {Path.Combine(path, "checkpoint.ckpt")}", e);
        }
        catch (NotPlainFileException e) // a FIFO would block open() for ever
        {
            throw new CheckpointException(path, $"is {e.Kind}, not a checkpoint file; pass the checkpoint.ckpt of a run folder", e);
        }
        catch (EndOfStreamException e)
        {
            throw new CheckpointException(path, "changed while it was read; try again", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            var problem = e is FileNotFoundException or DirectoryNotFoundException
                ? "no such file; pass the checkpoint.ckpt of a run folder (backprop train writes one after every epoch)"
                : $"cannot be read ({e.Message})";
            throw new CheckpointException(path, problem, e);
        }
        return Deserialize(path, bytes);
    }

    /// <summary>Parses checkpoint bytes; <paramref name="path"/> names the file in errors.</summary>
    /// <exception cref="CheckpointException">The bytes are not a checkpoint this version reads, or they are damaged.</exception>
    public static Checkpoint Deserialize(string path, byte[] bytes)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        if (bytes.Length < Magic.Length || !bytes.AsSpan(0, Magic.Length).SequenceEqual(Magic)) throw NotACheckpoint(path);
        var corrupt = "is truncated or corrupt (its checksum does not match its contents); use another checkpoint or train again";
        if (bytes.Length < Magic.Length + 8 + HashBytes) throw new CheckpointException(path, corrupt);
        // The checksum first: a flipped bit in the version field is damage, not a newer format.
        var body = bytes.AsSpan(0, bytes.Length - HashBytes);
        if (!SHA256.HashData(body).AsSpan().SequenceEqual(bytes.AsSpan(body.Length))) throw new CheckpointException(path, corrupt);
        var version = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(Magic.Length));
        if (version is not (1 or 2 or Version))
            throw new CheckpointException(path, version > Version
                ? $"was written in checkpoint format {version}, newer than this backprop reads ({Version}); update backprop"
                : $"uses checkpoint format {version}, which this backprop does not read; train again");

        try
        {
            var pos = Magic.Length + 4;
            var headerLength = checked((int)BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(pos)));
            pos += 4;
            var json = bytes.AsSpan(pos, headerLength);
            var header = (version < 3 ? OneHiddenLayer(json) : JsonSerializer.Deserialize<Header>(json, Json)) ?? throw new JsonException("empty header");
            if (header.Settings is null || header.History is null || header.Optimizer is null || header.Tensors is null)
                throw new JsonException("a field of the header is missing");
            pos += headerLength;
            var weights = new List<CheckpointTensor>();
            foreach (var t in header.Tensors)
            {
                var count = checked((int)t.Shape.Aggregate(1L, (a, b) => checked(a * b)));
                weights.Add(new CheckpointTensor(t.Name, t.Shape, FromLittleEndian(bytes.AsSpan(pos, checked(count * 4)))));
                pos += count * 4;
            }
            var rng = bytes.AsSpan(pos, header.RngStateBytes).ToArray();
            pos += header.RngStateBytes;
            if (pos != body.Length) throw new JsonException($"{body.Length - pos} bytes left over");
            var settings = header.Settings.Validate();
            var history = version == 1 ? [.. header.History.Select(r => r with { Epoch = r.Epoch + 1 })] : header.History;
            var kernels = header.Kernels ?? []; // absent before the kernels were recorded
            CheckMeaning(settings, history, header.Optimizer, weights, kernels);
            return new Checkpoint(settings, history, weights, header.Optimizer, rng) { Kernels = kernels };
        }
        catch (Exception e) when (e is JsonException or ArgumentException or OverflowException or NotSupportedException)
        {
            throw new CheckpointException(path, $"has a damaged header ({e.Message}); use another checkpoint or train again", e);
        }
    }

    private static CheckpointException NotACheckpoint(string path) =>
        new(path, "is not a backprop checkpoint (it does not start with the checkpoint signature); pass the checkpoint.ckpt that backprop train wrote");

    // Formats 1 and 2 knew one hidden layer and wrote its width as a number: "hidden": 50 is format 3's [50].
    private static Header? OneHiddenLayer(ReadOnlySpan<byte> json)
    {
        var header = JsonNode.Parse(json) as JsonObject ?? throw new JsonException("the header is not a JSON object");
        if (header["settings"] is JsonObject settings && settings["hidden"] is JsonValue nh && nh.GetValueKind() == JsonValueKind.Number)
            settings["hidden"] = new JsonArray(nh.DeepClone());
        return header.Deserialize<Header>(Json);
    }

    /// <summary>A checksum proves the bytes are as written, not that whoever wrote them wrote sense: every field's meaning is checked too.</summary>
    private static void CheckMeaning(TrainSettings settings, List<EpochResult> history, OptimizerState optimizer, List<CheckpointTensor> weights, List<EpochKernels?> kernels)
    {
        if (kernels.Count != 0 && kernels.Count != history.Count) throw new JsonException($"kernels holds {kernels.Count} entries for {history.Count} epochs");
        foreach (var k in kernels)
            if (k is not null && (k.Aten?.Length > 32 || k.Mkl?.Length > 32)) throw new JsonException("a kernels entry names more than 32 characters");
        if (history.Count > TrainSettings.MaxEpochs) throw new JsonException($"history holds {history.Count:N0} epochs, more than {TrainSettings.MaxEpochs:N0}");
        for (var i = 0; i < history.Count; i++)
        {
            var r = history[i] ?? throw new JsonException($"history entry {i} is null");
            if (r.Epoch != i + 1) throw new JsonException($"history entry {i + 1} is numbered {r.Epoch}"); // epochs count from 1
            if (!double.IsFinite(r.TrainLoss) || r.TrainLoss < 0) throw new JsonException($"epoch {i + 1}'s train_loss is {r.TrainLoss}; a kept epoch's loss is a finite number of at least 0");
            if (!double.IsNaN(r.ValidLoss) && (!double.IsFinite(r.ValidLoss) || r.ValidLoss < 0)) throw new JsonException($"epoch {i + 1}'s valid_loss is {r.ValidLoss}");
            if (!double.IsNaN(r.ValidAccuracy) && r.ValidAccuracy is < 0 or > 1) throw new JsonException($"epoch {i + 1}'s valid_accuracy is {r.ValidAccuracy}; an accuracy is 0 to 1");
            if (!double.IsFinite(r.Seconds) || r.Seconds < 0) throw new JsonException($"epoch {i + 1}'s seconds is {r.Seconds}");
        }
        if (optimizer.Kind != "sgd" || optimizer.Momentum != 0)
            throw new JsonException($"optimizer {optimizer.Kind} with momentum {optimizer.Momentum}; backprop trains with plain SGD (kind sgd, momentum 0)");
        if (!double.IsFinite(optimizer.LearningRate) || optimizer.LearningRate <= 0 || optimizer.LearningRate > TrainSettings.MaxLearningRate)
            throw new JsonException($"optimizer learning_rate {optimizer.LearningRate} is not above 0 and at most {TrainSettings.MaxLearningRate}");
        var expected = settings.Hidden.StateDict().Select(k => $"{k.Name} ({string.Join(", ", k.Shape)})");
        var saved = weights.Select(w => $"{w.Name} ({string.Join(", ", w.Shape)})");
        if (!expected.SequenceEqual(saved))
            throw new JsonException($"its tensors are {string.Join(", ", saved)}, but its settings' {settings.Hidden.Architecture} needs {string.Join(", ", expected)}");
        foreach (var w in weights)
            if (w.Values.Any(v => !float.IsFinite(v))) throw new JsonException($"tensor {w.Name} holds a NaN or infinite weight");
    }

    private static void WriteUInt32(Stream s, uint value)
    {
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(b, value);
        s.Write(b);
    }

    private static byte[] AsLittleEndian(float[] values)
    {
        var bytes = MemoryMarshal.AsBytes(values.AsSpan()).ToArray();
        if (!BitConverter.IsLittleEndian)
            for (var i = 0; i < bytes.Length; i += 4) bytes.AsSpan(i, 4).Reverse();
        return bytes;
    }

    private static float[] FromLittleEndian(ReadOnlySpan<byte> bytes)
    {
        var values = new float[bytes.Length / 4];
        for (var i = 0; i < values.Length; i++) values[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes[(i * 4)..]);
        return values;
    }

    private sealed record TensorEntry(string Name, long[] Shape);

    private sealed record Header(TrainSettings Settings, List<EpochResult> History, OptimizerState Optimizer, List<TensorEntry> Tensors, int RngStateBytes,
        List<EpochKernels?>? Kernels = null);
}
