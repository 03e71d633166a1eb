using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
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
    /// <summary>The format this code writes, and the newest it reads. Format 2 numbers the history's epochs from 1; format 1
    /// (from 0) still reads, its epochs renumbered.</summary>
    public const int Version = 2;

    private static readonly byte[] Magic = "backprop-checkpoint\n"u8.ToArray();
    private const int HashBytes = 32;

    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

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
            [.. checkpoint.Weights.Select(w => new TensorEntry(w.Name, w.Shape))], checkpoint.RngState.Length);
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
            bytes = File.ReadAllBytes(path);
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
        if (bytes.Length < Magic.Length || !bytes.AsSpan(0, Magic.Length).SequenceEqual(Magic))
            throw new CheckpointException(path, "is not a backprop checkpoint (it does not start with the checkpoint signature); pass the checkpoint.ckpt that backprop train wrote");
        var corrupt = "is truncated or corrupt (its checksum does not match its contents); use another checkpoint or train again";
        if (bytes.Length < Magic.Length + 8 + HashBytes) throw new CheckpointException(path, corrupt);
        var version = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(Magic.Length));
        if (version is not (1 or Version))
            throw new CheckpointException(path, version > Version
                ? $"was written in checkpoint format {version}, newer than this backprop reads ({Version}); update backprop"
                : $"uses checkpoint format {version}, which this backprop does not read; train again");
        var body = bytes.AsSpan(0, bytes.Length - HashBytes);
        if (!SHA256.HashData(body).AsSpan().SequenceEqual(bytes.AsSpan(body.Length))) throw new CheckpointException(path, corrupt);

        try
        {
            var pos = Magic.Length + 4;
            var headerLength = checked((int)BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(pos)));
            pos += 4;
            var header = JsonSerializer.Deserialize<Header>(bytes.AsSpan(pos, headerLength), Json) ?? throw new JsonException("empty header");
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
            var history = version == 1 ? [.. header.History.Select(r => r with { Epoch = r.Epoch + 1 })] : header.History;
            return new Checkpoint(header.Settings.Validate(), history, weights, header.Optimizer, rng);
        }
        catch (Exception e) when (e is JsonException or ArgumentException or OverflowException or NotSupportedException)
        {
            throw new CheckpointException(path, $"has a damaged header ({e.Message}); use another checkpoint or train again", e);
        }
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

    private sealed record Header(TrainSettings Settings, List<EpochResult> History, OptimizerState Optimizer, List<TensorEntry> Tensors, int RngStateBytes);
}
