namespace Backprop.Data;

/// <summary>One data file checked against what it must be.</summary>
/// <param name="Name">The file's name, e.g. <c>train-images-idx3-ubyte.gz</c>.</param>
/// <param name="Path">Where it was looked for.</param>
/// <param name="Status">The outcome.</param>
/// <param name="Detail">A line for people: the hash that matched, or what differs.</param>
public sealed record FileCheck(string Name, string Path, FileStatus Status, string Detail)
{
    /// <summary>Whether the file is as it must be.</summary>
    public bool IsOk => Status == FileStatus.Ok;
}
