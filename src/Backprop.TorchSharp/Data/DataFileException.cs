namespace Backprop.Data;

/// <summary>A data file that is missing, truncated or not in the expected format. The message names the file, the problem and what to do.</summary>
/// <param name="file">The file's path.</param>
/// <param name="problem">What is wrong, in a sentence fragment that can follow the path.</param>
/// <param name="inner">The underlying error, if any.</param>
public sealed class DataFileException(string file, string problem, Exception? inner = null)
    : Exception($"{file}: {problem}", inner)
{
    /// <summary>The file's path.</summary>
    public string File { get; } = file;

    /// <summary>What is wrong with the file.</summary>
    public string Problem { get; } = problem;
}
