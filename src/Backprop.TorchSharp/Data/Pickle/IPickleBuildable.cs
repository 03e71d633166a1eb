namespace Backprop.Data.Pickle;

/// <summary>An object made by REDUCE that the BUILD opcode then fills in (Python's <c>__setstate__</c>).</summary>
internal interface IPickleBuildable
{
    /// <summary>Applies the state BUILD pops.</summary>
    /// <exception cref="InvalidDataException">The state is not what this object takes.</exception>
    void SetState(object? state);
}
