namespace Backprop.Data;

/// <summary>
/// A numpy array as pickled: <c>numpy.core.multiarray._reconstruct(numpy.ndarray, (0,), 'b')</c> (REDUCE), then BUILD
/// with the state <c>(1, shape, dtype, is_fortran, rawdata)</c>, the raw data a byte string.
/// </summary>
internal sealed class NumpyArray : IPickleBuildable
{
    private static readonly PickleGlobal NdArray = new("numpy", "ndarray");

    /// <summary>The global numpy's pickles call to make an empty array.</summary>
    public static readonly PickleGlobal ReconstructGlobal = new("numpy.core.multiarray", "_reconstruct");

    /// <summary>The shape (empty until BUILD).</summary>
    public IReadOnlyList<long> Shape { get; private set; } = [];

    /// <summary>The element type (null until BUILD).</summary>
    public NumpyDType? DType { get; private set; }

    /// <summary>Whether the data is in column-major (Fortran) order.</summary>
    public bool IsFortran { get; private set; }

    /// <summary>The raw data: a slice of the pickle.</summary>
    public ReadOnlyMemory<byte> Data { get; private set; }

    /// <summary>REDUCE of <c>_reconstruct</c> with the arguments <c>(numpy.ndarray, (0,), 'b')</c>.</summary>
    /// <exception cref="InvalidDataException">Other arguments.</exception>
    public static NumpyArray Reconstruct(object?[] args) => args switch
    {
        [PickleGlobal g, object?[] { Length: 1 }, PickleString { Bytes.Length: 1 }] when g == NdArray => new NumpyArray(),
        _ => throw new InvalidDataException("numpy.core.multiarray._reconstruct called with arguments that are not (numpy.ndarray, (0,), 'b')"),
    };

    /// <inheritdoc/>
    public void SetState(object? state)
    {
        if (state is not object?[] { Length: 5 } s || s[0] is not (long)1)
            throw new InvalidDataException("an array's state is not (1, shape, dtype, is_fortran, rawdata)");
        if (s[1] is not object?[] shape || !shape.All(d => d is long and >= 0))
            throw new InvalidDataException("an array's shape is not a tuple of non-negative ints");
        if (s[2] is not NumpyDType { IsBuilt: true } dtype)
            throw new InvalidDataException("an array's dtype is not a built numpy.dtype");
        if (s[3] is not bool fortran)
            throw new InvalidDataException("an array's is_fortran flag is not a bool");
        if (s[4] is not PickleString raw)
            throw new InvalidDataException("an array's data is not a byte string");
        (Shape, DType, IsFortran, Data) = ([.. shape.Cast<long>()], dtype, fortran, raw.Bytes);
    }

    /// <summary>The shape as numpy prints it, e.g. <c>(5, 784)</c>.</summary>
    public string ShapeText => Shape.Count == 1 ? $"({Shape[0]},)" : $"({string.Join(", ", Shape)})";
}

/// <summary>
/// A numpy dtype as pickled: <c>numpy.dtype('f4', 0, 1)</c> (REDUCE), then BUILD with the state
/// <c>(3, '&lt;', None, None, None, -1, -1, 0)</c>: version, byte order, subarray, names, fields, itemsize, alignment, flags.
/// </summary>
/// <param name="kind">The type code, e.g. <c>f4</c> (float32) or <c>i8</c> (int64).</param>
internal sealed class NumpyDType(string kind) : IPickleBuildable
{
    /// <summary>The type code, e.g. <c>f4</c>.</summary>
    public string Kind { get; } = kind;

    /// <summary><c>&lt;</c> little-endian, <c>&gt;</c> big-endian, <c>|</c> not applicable, <c>=</c> native (before BUILD).</summary>
    public char ByteOrder { get; private set; } = '=';

    /// <summary>Whether BUILD has set the state.</summary>
    public bool IsBuilt { get; private set; }

    /// <summary>numpy's <c>dtype.str</c>, e.g. <c>&lt;f4</c>.</summary>
    public override string ToString() => $"{ByteOrder}{Kind}";

    /// <summary>REDUCE of <c>numpy.dtype</c> with the arguments <c>(kind, 0, 1)</c>.</summary>
    /// <exception cref="InvalidDataException">Other arguments.</exception>
    public static NumpyDType Reduce(object?[] args) => args switch
    {
        [PickleString { Bytes.Length: <= 8 } kind, long, long] => new NumpyDType(kind.Text),
        _ => throw new InvalidDataException($"numpy.dtype called with {args.Length} arguments that are not (kind, 0, 1)"),
    };

    /// <inheritdoc/>
    public void SetState(object? state)
    {
        // Version 3 is what numpy writes for a plain dtype (no fields, no metadata); 4 adds metadata.
        if (state is not object?[] { Length: 8 } s || s[0] is not (long)3 || s[1] is not PickleString { Bytes.Length: 1 } order
            || s[2] is not null || s[3] is not null || s[4] is not null)
            throw new InvalidDataException($"the dtype {Kind}'s state is not (3, byte order, None, None, None, -1, -1, 0)");
        (ByteOrder, IsBuilt) = ((char)order.Bytes.Span[0], true);
    }
}
