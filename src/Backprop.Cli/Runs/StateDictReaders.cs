using System.Buffers.Binary;
using System.IO.Compression;
using System.Text.Json;
using Backprop.Data;

namespace Backprop.Cli.Runs;

/// <summary>The element types a state_dict's tensors may have; only the floating ones are read.</summary>
internal enum ElementType
{
    /// <summary>float32.</summary>
    F32,

    /// <summary>float64.</summary>
    F64,

    /// <summary>float16.</summary>
    F16,

    /// <summary>bfloat16.</summary>
    BF16,

    /// <summary>Anything else (integers, bool, float8, complex): declared, never read.</summary>
    Other,
}

/// <summary>A run of elements in a state_dict file, declared by its header and read only once every declaration is checked.</summary>
/// <param name="TypeName">The type as the file names it, e.g. <c>FloatStorage</c> or <c>F32</c>.</param>
/// <param name="Type">The element type.</param>
/// <param name="ElementSize">Bytes per element.</param>
/// <param name="Elements">How many elements it holds.</param>
/// <param name="Read">Reads its bytes, exactly <paramref name="Elements"/> × <paramref name="ElementSize"/> of them.</param>
internal sealed record Storage(string TypeName, ElementType Type, int ElementSize, long Elements, Func<byte[]> Read);

/// <summary>A tensor as a state_dict declares it: a strided view of a <see cref="Storage"/>, not yet read.</summary>
/// <param name="Storage">Where its elements are.</param>
/// <param name="Offset">Its first element in the storage.</param>
/// <param name="Shape">Its size.</param>
/// <param name="Stride">Elements between neighbours along each dimension (PyTorch's stride; row-major for safetensors).</param>
internal sealed record DeclaredTensor(Storage Storage, long Offset, long[] Shape, long[] Stride)
{
    /// <summary>Elements in the tensor (the product of <see cref="Shape"/>).</summary>
    public long Count => Shape.Aggregate(1L, (a, b) => a * b);

    /// <summary>A view of <paramref name="storage"/> whose elements all lie inside it; the bounds are checked, never trusted.</summary>
    /// <exception cref="InvalidDataException">A size or stride is negative, or the view reaches past the storage.</exception>
    public static DeclaredTensor Of(Storage storage, long offset, long[] shape, long[] stride)
    {
        if (shape.Length > 8 || shape.Length != stride.Length) throw new InvalidDataException($"a tensor of {shape.Length} sizes and {stride.Length} strides");
        if (offset < 0 || shape.Any(d => d < 0) || stride.Any(s => s < 0))
            throw new InvalidDataException($"a tensor of size ({string.Join(", ", shape)}), stride ({string.Join(", ", stride)}) at offset {offset}");
        try
        {
            if (shape.Aggregate(1L, (a, b) => checked(a * b)) > 0)
            {
                var last = offset + shape.Zip(stride).Sum(p => checked((p.First - 1) * p.Second));
                if (last >= storage.Elements)
                    throw new InvalidDataException($"a tensor of size ({string.Join(", ", shape)}) reaches element {last:N0} of a storage of {storage.Elements:N0}");
            }
        }
        catch (OverflowException e)
        {
            throw new InvalidDataException($"a tensor of size ({string.Join(", ", shape)}) larger than any file", e);
        }
        return new DeclaredTensor(storage, offset, shape, stride);
    }

    /// <summary>Reads the storage and gathers this view's elements, row-major, as float32.</summary>
    public float[] Values()
    {
        var bytes = Storage.Read();
        var values = new float[Count];
        var index = new long[Shape.Length];
        for (var i = 0; i < values.Length; i++)
        {
            var at = Offset;
            for (var d = 0; d < Shape.Length; d++) at += index[d] * Stride[d];
            values[i] = Element(bytes.AsSpan(checked((int)(at * Storage.ElementSize))));
            for (var d = Shape.Length - 1; d >= 0 && ++index[d] == Shape[d]; d--) index[d] = 0; // the next index, row-major
        }
        return values;
    }

    private float Element(ReadOnlySpan<byte> b) => Storage.Type switch
    {
        ElementType.F32 => BinaryPrimitives.ReadSingleLittleEndian(b),
        ElementType.F64 => (float)BinaryPrimitives.ReadDoubleLittleEndian(b),
        ElementType.F16 => (float)BinaryPrimitives.ReadHalfLittleEndian(b),
        ElementType.BF16 => BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(b) << 16),
        _ => throw new InvalidOperationException($"{Storage.TypeName} is not read"),
    };
}

/// <summary>
/// <c>torch.save(model.state_dict(), f)</c>'s zip archive, read without PyTorch and without running its pickle: the
/// archive's <c>data.pkl</c> goes through the library's bounded <see cref="Unpickler"/> (at most
/// <see cref="Unpickler.MaxOpcodes"/> opcodes, calling nothing but <c>OrderedDict</c> and <c>_rebuild_tensor_v2</c>),
/// and each storage (<c>data/&lt;key&gt;</c>) is checked against the archive before a byte of it is read.
/// </summary>
internal static class PtFile
{
    /// <summary>The largest <c>data.pkl</c> read: a state_dict's pickle names its tensors in a few hundred bytes each.</summary>
    public const int MaxPickleBytes = 1 << 20;

    /// <summary>Deflate's largest ratio (RFC 1951: 258 bytes from 2 bits): an entry claiming more is not what it says.</summary>
    private const long MaxDeflateRatio = 1032;

    private const string Expected = "a torch.save state_dict";

    /// <summary>The tensors the archive's pickle declares, by key, in its order; nothing of theirs is read yet.</summary>
    /// <exception cref="InvalidDataException">The archive is not a torch.save file, or its pickle is not a state_dict of tensors.</exception>
    public static List<(string Name, DeclaredTensor Tensor)> Declare(string path, ZipArchive zip, long maxBytes)
    {
        var pickles = zip.Entries.Where(e => e.FullName.EndsWith("/data.pkl", StringComparison.Ordinal) || e.FullName == "data.pkl").ToList();
        if (pickles.Count != 1) throw new InvalidDataException($"a zip archive with {pickles.Count} data.pkl entries; torch.save writes one");
        var pkl = pickles[0];
        var prefix = pkl.FullName[..^"data.pkl".Length];
        var declared = 0L;
        var root = new Unpickler(ReadEntry(pkl, MaxPickleBytes), path, Reduce, Expected, pid => LoadStorage(pid, zip, prefix, maxBytes, ref declared)).Load();
        if (root is not PickleDict dict) throw new InvalidDataException("its pickle holds no dict; a state_dict is an OrderedDict of tensors");
        return [.. dict.Items.Select(kv => kv is { Key: string name, Value: DeclaredTensor t } ? (name, t)
            : throw new InvalidDataException($"its dict maps {Show(kv.Key)} to {Show(kv.Value)}; a state_dict maps names to tensors"))];
    }

    private static object Reduce(PickleGlobal callable, object?[] args) => (callable.Module, callable.Name, args) switch
    {
        ("collections", "OrderedDict", [] or [object?[] { Length: 0 }]) => new PickleDict(), // OrderedDict() or OrderedDict(())
        ("torch._utils", "_rebuild_tensor_v2", [Storage s, long offset, object?[] size, object?[] stride, bool, ..]) when args.Length is 6 or 7 =>
            DeclaredTensor.Of(s, offset, Longs(size), Longs(stride)),
        ("torch._utils", "_rebuild_parameter", _) =>
            throw new InvalidDataException("it holds nn.Parameter objects, as a whole saved model does, not a state_dict; save it with torch.save(model.state_dict(), f)"),
        _ => throw new InvalidDataException($"its pickle calls {callable}, which a torch.save state_dict of tensors never calls"),
    };

    // torch.save's persistent id of a storage: ('storage', torch.FloatStorage, key, location, numel).
    private static Storage LoadStorage(object? pid, ZipArchive zip, string prefix, long maxBytes, ref long declared)
    {
        if (pid is not object?[] { Length: 5 } id || id[0] is not "storage" || id[1] is not PickleGlobal { Module: "torch" } type
            || id[2] is not string key || id[4] is not long elements || elements < 0)
            throw new InvalidDataException($"a persistent id {Show(pid)}; torch.save's are ('storage', type, key, location, numel)");
        var (element, size) = type.Name switch
        {
            "FloatStorage" => (ElementType.F32, 4),
            "DoubleStorage" => (ElementType.F64, 8),
            "HalfStorage" => (ElementType.F16, 2),
            "BFloat16Storage" => (ElementType.BF16, 2),
            "LongStorage" or "ComplexFloatStorage" => (ElementType.Other, 8),
            "IntStorage" => (ElementType.Other, 4),
            "ShortStorage" => (ElementType.Other, 2),
            "ByteStorage" or "CharStorage" or "BoolStorage" => (ElementType.Other, 1),
            "ComplexDoubleStorage" => (ElementType.Other, 16),
            _ => throw new InvalidDataException($"a storage of type torch.{type.Name}, which torch.save does not write"),
        };
        var entry = zip.GetEntry($"{prefix}data/{key}") ?? throw new InvalidDataException($"its storage {key} is missing from the archive (no {prefix}data/{key})");
        if (elements > maxBytes / size || entry.Length != elements * size)
            throw new InvalidDataException($"storage {key} holds {entry.Length:N0} bytes, but its {elements:N0} elements of torch.{type.Name} need {elements * (double)size:N0}");
        if (entry.Length > entry.CompressedLength * MaxDeflateRatio)
            throw new InvalidDataException($"storage {key} claims {entry.Length:N0} bytes from {entry.CompressedLength:N0}, more than deflate can make");
        if ((declared += entry.Length) > maxBytes)
            throw new InvalidDataException($"its storages hold more than the {maxBytes:N0} bytes a state_dict backprop reads may have");
        return new Storage($"torch.{type.Name}", element, size, elements, () => ReadEntry(entry, entry.Length));
    }

    // An entry's bytes, exactly as many as it claims and no more than max: a header that lies is caught, not believed.
    private static byte[] ReadEntry(ZipArchiveEntry entry, long max)
    {
        if (entry.Length > max) throw new InvalidDataException($"{entry.FullName} claims {entry.Length:N0} bytes, more than the {max:N0} it may have");
        var bytes = new byte[entry.Length];
        using var s = entry.Open();
        s.ReadExactly(bytes);
        if (s.ReadByte() >= 0) throw new InvalidDataException($"{entry.FullName} holds more bytes than its header says");
        return bytes;
    }

    private static long[] Longs(object?[] tuple) =>
        [.. tuple.Select(v => v as long? ?? throw new InvalidDataException($"a tensor size or stride {Show(v)}, not a whole number"))];

    private static string Show(object? value) => value switch
    {
        null => "None",
        string s => $"'{s}'",
        object?[] t => $"a {t.Length}-tuple",
        _ => value.ToString() ?? value.GetType().Name,
    };
}

/// <summary>
/// The safetensors format, read by its specification: an 8-byte little-endian header length N, N bytes of a JSON
/// header <c>{name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {...}}</c>, then the data, every
/// byte of which belongs to exactly one tensor. Everything is checked before a tensor is read: N against the file, each
/// tensor's offsets against its dtype and shape and against the data, and the tensors against each other (no overlaps, no holes).
/// </summary>
internal static class SafetensorsFile
{
    /// <summary>The largest header read, the specification's own limit (100 MB).</summary>
    public const long MaxHeaderBytes = 100_000_000;

    /// <summary>Whether <paramref name="head"/> (the file's first bytes, at least 9) starts like a safetensors file: a length, then <c>{</c> (a length the file cannot hold is then refused by <see cref="Declare"/>, by name).</summary>
    public static bool LooksLike(ReadOnlySpan<byte> head) =>
        head.Length >= 9 && BinaryPrimitives.ReadUInt64LittleEndian(head) >= 2 && head[8] == '{';

    /// <summary>The tensors the header declares, in the order of their data.</summary>
    /// <exception cref="InvalidDataException">The header is malformed or its offsets do not describe the data.</exception>
    public static List<(string Name, DeclaredTensor Tensor)> Declare(Stream file)
    {
        var length = file.Length;
        Span<byte> n8 = stackalloc byte[8];
        file.Position = 0;
        if (length < 8 || file.ReadAtLeast(n8, 8, throwOnEndOfStream: false) < 8) throw new InvalidDataException("it is shorter than a safetensors header's length (8 bytes)");
        var n = BinaryPrimitives.ReadUInt64LittleEndian(n8);
        if (n < 2 || n > (ulong)Math.Min(MaxHeaderBytes, length - 8))
            throw new InvalidDataException($"its header length is {n:N0} bytes, but the file has {length - 8:N0} after it (and a header may have at most {MaxHeaderBytes:N0})");
        var header = new byte[n];
        file.ReadExactly(header);
        var dataStart = 8 + (long)n;
        var dataLength = length - dataStart;
        var tensors = new List<(string Name, DeclaredTensor Tensor, long Begin, long End)>();
        try
        {
            using var json = JsonDocument.Parse(header, new JsonDocumentOptions { MaxDepth = 8 });
            if (json.RootElement.ValueKind != JsonValueKind.Object) throw new InvalidDataException("its header is not a JSON object");
            foreach (var p in json.RootElement.EnumerateObject())
            {
                if (p.Name == "__metadata__") continue;
                if (tensors.Any(t => t.Name == p.Name)) throw new InvalidDataException($"its header names {p.Name} twice");
                tensors.Add(Entry(file, p, dataStart, dataLength));
            }
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or FormatException or OverflowException or InvalidOperationException)
        {
            throw new InvalidDataException($"its header is not valid safetensors JSON ({e.Message.TrimEnd('.')})", e);
        }
        long covered = 0;
        foreach (var t in tensors.OrderBy(t => t.Begin).ThenBy(t => t.End))
        {
            if (t.Begin < covered) throw new InvalidDataException($"the data_offsets of {t.Name} ([{t.Begin}, {t.End}]) overlap another tensor's");
            if (t.Begin > covered) throw new InvalidDataException($"bytes {covered:N0} to {t.Begin:N0} of its data belong to no tensor");
            covered = t.End;
        }
        if (covered != dataLength) throw new InvalidDataException($"its tensors cover {covered:N0} of the {dataLength:N0} bytes of data after the header");
        return [.. tensors.Select(t => (t.Name, t.Tensor))];
    }

    private static (string, DeclaredTensor, long, long) Entry(Stream file, JsonProperty p, long dataStart, long dataLength)
    {
        var e = p.Value;
        var dtype = e.GetProperty("dtype").GetString() ?? "";
        var (type, size) = dtype switch
        {
            "F32" => (ElementType.F32, 4),
            "F64" => (ElementType.F64, 8),
            "F16" => (ElementType.F16, 2),
            "BF16" => (ElementType.BF16, 2),
            "I64" or "U64" => (ElementType.Other, 8),
            "I32" or "U32" => (ElementType.Other, 4),
            "I16" or "U16" => (ElementType.Other, 2),
            "I8" or "U8" or "BOOL" or "F8_E4M3" or "F8_E5M2" => (ElementType.Other, 1),
            _ => throw new InvalidDataException($"{p.Name} has dtype {dtype}, which the safetensors format does not define"),
        };
        long[] shape = [.. e.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64())];
        long[] offsets = [.. e.GetProperty("data_offsets").EnumerateArray().Select(d => d.GetInt64())];
        if (offsets is not [var begin, var end] || begin < 0 || end < begin || end > dataLength)
            throw new InvalidDataException($"{p.Name} has data_offsets [{string.Join(", ", offsets)}]; they must be [begin, end] with 0 ≤ begin ≤ end ≤ {dataLength:N0}, the data's length");
        if (shape.Length > 8 || shape.Any(d => d < 0)) throw new InvalidDataException($"{p.Name} has shape [{string.Join(", ", shape)}]");
        var count = shape.Aggregate(1L, (a, b) => checked(a * b));
        if (count > (end - begin) / size || count * size != end - begin)
            throw new InvalidDataException($"{p.Name} has {end - begin:N0} bytes of data, but shape [{string.Join(", ", shape)}] of {dtype} needs {count * (double)size:N0}");
        var stride = new long[shape.Length];
        for (long d = shape.Length - 1, step = 1; d >= 0; step *= shape[d], d--) stride[d] = step;
        var storage = new Storage(dtype, type, size, count, () =>
        {
            var bytes = new byte[end - begin];
            file.Position = dataStart + begin;
            file.ReadExactly(bytes);
            return bytes;
        });
        return (p.Name, DeclaredTensor.Of(storage, 0, shape, stride), begin, end);
    }
}
