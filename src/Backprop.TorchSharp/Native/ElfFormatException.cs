namespace Backprop.Native;

/// <summary>An ELF file that is not what the native loader expects: not ELF, not 64-bit little-endian, truncated, or without the entry to edit.</summary>
/// <param name="file">The file's name or path, named in the message.</param>
/// <param name="problem">What is wrong with it.</param>
public sealed class ElfFormatException(string file, string problem)
    : Exception($"{file}: {problem}")
{
    /// <summary>The file's name or path.</summary>
    public string File { get; } = file;

    /// <summary>What is wrong with the file.</summary>
    public string Problem { get; } = problem;
}
