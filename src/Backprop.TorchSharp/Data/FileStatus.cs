namespace Backprop.Data;

/// <summary>How a data file compares with what it must be.</summary>
public enum FileStatus
{
    /// <summary>It is there and its size and hashes match.</summary>
    Ok,

    /// <summary>It is not there.</summary>
    Missing,

    /// <summary>It is there but its size or a hash differs.</summary>
    Mismatch,

    /// <summary>It is there but cannot be read (or, when gzip'ed, inflated).</summary>
    Unreadable,
}
