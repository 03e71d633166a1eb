namespace Backprop.Data.Pickle;

/// <summary>A reference to a Python object by module and name, as the GLOBAL opcode pushes it (e.g. <c>numpy dtype</c>).</summary>
/// <param name="Module">The module, e.g. <c>numpy.core.multiarray</c>.</param>
/// <param name="Name">The name in the module, e.g. <c>_reconstruct</c>.</param>
internal sealed record PickleGlobal(string Module, string Name)
{
    /// <inheritdoc/>
    public override string ToString() => $"{Module}.{Name}";
}
