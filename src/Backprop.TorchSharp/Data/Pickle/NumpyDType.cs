namespace Backprop.Data.Pickle;

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
