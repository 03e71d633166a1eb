using System.Text;

namespace Backprop.Data.Pickle;

/// <summary>A Python 2 <c>str</c> (bytes) from BINSTRING or SHORT_BINSTRING: a slice of the pickle, not a copy.</summary>
/// <param name="Bytes">The string's bytes.</param>
internal sealed record PickleString(ReadOnlyMemory<byte> Bytes)
{
    /// <summary>The bytes as Latin-1 text, which is how Python 3 reads Python 2 strings with <c>encoding='latin-1'</c>.</summary>
    public string Text => Encoding.Latin1.GetString(Bytes.Span);

    /// <inheritdoc/>
    public override string ToString() => Bytes.Length <= 16 ? $"'{Text}'" : $"<{Bytes.Length:N0} bytes>";
}
