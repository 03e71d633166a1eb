using System.Buffers.Binary;

namespace Backprop.Native;

/// <summary>
/// Marks one symbol-version requirement of an ELF file weak (<c>vna_flags |= VER_FLG_WEAK</c>), so that a system
/// whose library lacks that version still loads the file. Refuses when a relocation uses a symbol of that
/// version: then the symbol really is called and weakening it would only move the failure to run time.
/// </summary>
public static class WeakVersionPatch
{
    /// <summary>Returns a copy of <paramref name="elf"/> whose requirement of <paramref name="version"/> from <paramref name="library"/> is weak; every other byte is unchanged.</summary>
    /// <param name="elf">The original file's bytes; not modified.</param>
    /// <param name="name">The file's name, for errors.</param>
    /// <param name="library">The needed library, e.g. <c>libstdc++.so.6</c>.</param>
    /// <param name="version">The version to weaken, e.g. <c>GLIBCXX_3.4.32</c>.</param>
    /// <exception cref="ElfFormatException">The file is not ELF, has no such requirement, or uses a symbol of that version in a relocation.</exception>
    public static byte[] Apply(byte[] elf, string name, string library, string version)
    {
        var image = ElfImage.Parse(elf, name);
        var need = image.VersionNeeds.FirstOrDefault(n => n.Library == library && n.Version == version)
            ?? throw new ElfFormatException(name, $"it needs no version {version} from {library}, so there is nothing to weaken");
        var used = image.RelocatedSymbolsOfVersion(need.Index);
        if (used.Count > 0)
            throw new ElfFormatException(name, $"relocations use {version} symbols ({string.Join(", ", used)}); weakening it would break those calls");
        var patched = (byte[])elf.Clone();
        BinaryPrimitives.WriteUInt16LittleEndian(patched.AsSpan((int)need.FlagsOffset), (ushort)(need.Flags | ElfImage.VerFlgWeak));
        return patched;
    }
}
