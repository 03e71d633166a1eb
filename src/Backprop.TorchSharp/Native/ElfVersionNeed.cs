namespace Backprop.Native;

/// <summary>
/// One entry of an ELF file's <c>.gnu.version_r</c> section: the file asks <paramref name="Library"/> for the
/// symbol version <paramref name="Version"/> (a <c>Vernaux</c> record).
/// </summary>
/// <param name="Library">The needed library, e.g. <c>libstdc++.so.6</c> (<c>vn_file</c>).</param>
/// <param name="Version">The version name, e.g. <c>GLIBCXX_3.4.32</c> (<c>vna_name</c>).</param>
/// <param name="Index">The version index that <c>.gnu.version</c> uses for symbols of this version (<c>vna_other</c>).</param>
/// <param name="Flags">The entry's flags (<c>vna_flags</c>); <see cref="ElfImage.VerFlgWeak"/> makes a missing version non-fatal.</param>
/// <param name="FlagsOffset">The file offset of <c>vna_flags</c>, the two bytes an edit changes.</param>
public sealed record ElfVersionNeed(string Library, string Version, ushort Index, ushort Flags, long FlagsOffset)
{
    /// <summary>Whether the dynamic loader treats a missing version as a warning rather than an error.</summary>
    public bool IsWeak => (Flags & ElfImage.VerFlgWeak) != 0;
}
