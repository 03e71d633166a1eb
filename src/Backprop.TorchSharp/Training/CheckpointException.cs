namespace Backprop.Training;

/// <summary>A checkpoint file that is missing, foreign, from a newer format, truncated or corrupt. The message names the file, the problem and what to do.</summary>
/// <param name="file">The checkpoint's path.</param>
/// <param name="problem">What is wrong, in a sentence fragment that can follow the path.</param>
/// <param name="inner">The underlying error, if any.</param>
public sealed class CheckpointException(string file, string problem, Exception? inner = null)
    : Exception($"{file}: {problem}", inner)
{
    /// <summary>The checkpoint's path.</summary>
    public string File { get; } = file;

    /// <summary>What is wrong with the file.</summary>
    public string Problem { get; } = problem;
}
