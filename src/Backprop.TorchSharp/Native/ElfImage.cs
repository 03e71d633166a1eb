using System.Buffers.Binary;
using System.Text;

namespace Backprop.Native;

/// <summary>
/// A read-only view of a 64-bit little-endian ELF shared library: its needed libraries (<c>DT_NEEDED</c>), the
/// symbol versions it needs (<c>.gnu.version_r</c>), and which of those versions its relocations actually use.
/// Enough of ELF to weaken one version requirement safely, nothing more.
/// </summary>
/// <remarks>Every offset read from the file is bounds-checked: a truncated or foreign file raises <see cref="ElfFormatException"/>.</remarks>
internal sealed class ElfImage
{
    /// <summary><c>VER_FLG_WEAK</c>: a missing version is reported, not fatal.</summary>
    public const ushort VerFlgWeak = 0x2;

    private const uint ShtRela = 4, ShtDynamic = 6, ShtRel = 9, ShtDynsym = 11;
    private const uint ShtGnuVerneed = 0x6ffffffe, ShtGnuVersym = 0x6fffffff;
    private const long DtNeeded = 1;

    private readonly byte[] _bytes;
    private readonly string _name;
    private readonly Section[] _sections;

    private ElfImage(byte[] bytes, string name)
    {
        _bytes = bytes;
        _name = name;
        _sections = ReadSections();
        Needed = ReadNeeded();
        VersionNeeds = ReadVersionNeeds();
    }

    /// <summary>The libraries named by <c>DT_NEEDED</c>, in file order.</summary>
    public IReadOnlyList<string> Needed { get; }

    /// <summary>Every version the file needs from other libraries, in file order.</summary>
    public IReadOnlyList<ElfVersionNeed> VersionNeeds { get; }

    /// <summary>Parses <paramref name="bytes"/>; <paramref name="name"/> names the file in errors.</summary>
    /// <exception cref="ElfFormatException">Not a 64-bit little-endian ELF file, or a structure points outside the file.</exception>
    public static ElfImage Parse(byte[] bytes, string name)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        return new ElfImage(bytes, name);
    }

    /// <summary>Reads and parses the file at <paramref name="path"/>.</summary>
    public static ElfImage Load(string path) => Parse(File.ReadAllBytes(path), path);

    /// <summary>The dynamic symbols whose <c>.gnu.version</c> entry is <paramref name="index"/> (hidden bit ignored).</summary>
    public IReadOnlyList<string> SymbolsOfVersion(ushort index)
    {
        var dynsym = Find(ShtDynsym);
        var versym = Find(ShtGnuVersym);
        if (dynsym is null || versym is null) return [];
        var names = new List<string>();
        var count = Math.Min(dynsym.Size / 24, versym.Size / 2);
        for (long i = 0; i < count; i++)
            if ((U16(versym.Offset + i * 2) & 0x7fff) == index)
                names.Add(Str(_sections[dynsym.Link], U32(dynsym.Offset + i * 24)));
        return names;
    }

    /// <summary>The symbols of version <paramref name="index"/> that some relocation refers to: empty when weakening that version cannot break a call.</summary>
    public IReadOnlyList<string> RelocatedSymbolsOfVersion(ushort index)
    {
        var dynsym = Find(ShtDynsym);
        var versym = Find(ShtGnuVersym);
        if (dynsym is null || versym is null) return [];
        var used = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var rel in _sections.Where(s => s.Type is ShtRela or ShtRel && s.Link < _sections.Length && _sections[s.Link].Type == ShtDynsym))
        {
            long entSize = rel.Type == ShtRela ? 24 : 16;
            for (long off = rel.Offset; off + entSize <= rel.Offset + rel.Size; off += entSize)
            {
                var sym = (long)(U64(off + 8) >> 32);
                if (sym == 0 || sym * 2 + 2 > versym.Size) continue;
                if ((U16(versym.Offset + sym * 2) & 0x7fff) == index)
                    used.Add(Str(_sections[dynsym.Link], U32(dynsym.Offset + sym * 24)));
            }
        }
        return [.. used];
    }

    private Section[] ReadSections()
    {
        if (_bytes.Length < 64 || _bytes[0] != 0x7f || _bytes[1] != (byte)'E' || _bytes[2] != (byte)'L' || _bytes[3] != (byte)'F')
            throw new ElfFormatException(_name, "not an ELF file (no \\x7fELF magic number)");
        if (_bytes[4] != 2 || _bytes[5] != 1)
            throw new ElfFormatException(_name, $"only 64-bit little-endian ELF is supported (class {_bytes[4]}, data {_bytes[5]})");
        var shoff = (long)U64(0x28);
        var shentsize = U16(0x3A);
        var shnum = U16(0x3C);
        if (shnum == 0) throw new ElfFormatException(_name, "the file has no section headers");
        if (shentsize < 64) throw new ElfFormatException(_name, $"section header size {shentsize} is smaller than 64 bytes");
        Check(shoff, (long)shentsize * shnum, "section header table");
        var sections = new Section[shnum];
        for (var i = 0; i < shnum; i++)
        {
            var h = shoff + (long)i * shentsize;
            var s = new Section(U32(h + 4), (long)U64(h + 0x18), (long)U64(h + 0x20), U32(h + 0x28), U32(h + 0x2C));
            if (s.Type != 8) Check(s.Offset, s.Size, $"section {i}"); // SHT_NOBITS occupies no file space
            sections[i] = s;
        }
        return sections;
    }

    private string[] ReadNeeded()
    {
        var dynamic = Find(ShtDynamic);
        if (dynamic is null) return [];
        var strtab = LinkedStrings(dynamic);
        var needed = new List<string>();
        for (var off = dynamic.Offset; off + 16 <= dynamic.Offset + dynamic.Size; off += 16)
        {
            var tag = (long)U64(off);
            if (tag == 0) break;
            if (tag == DtNeeded) needed.Add(Str(strtab, (uint)U64(off + 8)));
        }
        return [.. needed];
    }

    private ElfVersionNeed[] ReadVersionNeeds()
    {
        var verneed = Find(ShtGnuVerneed);
        if (verneed is null) return [];
        var strtab = LinkedStrings(verneed);
        var needs = new List<ElfVersionNeed>();
        var vn = verneed.Offset;
        for (uint i = 0; i < verneed.Info; i++)
        {
            Check(vn, 16, "a Verneed record");
            var file = Str(strtab, U32(vn + 4));
            var aux = vn + U32(vn + 8);
            for (var j = 0; j < U16(vn + 2); j++)
            {
                Check(aux, 16, "a Vernaux record");
                needs.Add(new ElfVersionNeed(file, Str(strtab, U32(aux + 8)), U16(aux + 6), U16(aux + 4), aux + 4));
                aux += U32(aux + 12);
            }
            vn += U32(vn + 12);
        }
        return [.. needs];
    }

    private Section LinkedStrings(Section s) =>
        s.Link < _sections.Length ? _sections[s.Link] : throw new ElfFormatException(_name, $"section link {s.Link} is out of range");

    private Section? Find(uint type) => Array.Find(_sections, s => s.Type == type);

    private string Str(Section strtab, uint offset)
    {
        if (offset >= strtab.Size) throw new ElfFormatException(_name, $"string offset {offset} lies outside its string table");
        var start = strtab.Offset + offset;
        var end = Array.IndexOf(_bytes, (byte)0, (int)start, (int)(strtab.Size - offset));
        if (end < 0) throw new ElfFormatException(_name, "a string runs past the end of its table");
        return Encoding.ASCII.GetString(_bytes, (int)start, end - (int)start);
    }

    private void Check(long offset, long length, string what)
    {
        if (offset < 0 || length < 0 || offset > _bytes.Length - length)
            throw new ElfFormatException(_name, $"{what} at offset {offset} (+{length} bytes) lies outside the {_bytes.Length}-byte file; is it truncated?");
    }

    private ushort U16(long at) { Check(at, 2, "a field"); return BinaryPrimitives.ReadUInt16LittleEndian(_bytes.AsSpan((int)at)); }

    private uint U32(long at) { Check(at, 4, "a field"); return BinaryPrimitives.ReadUInt32LittleEndian(_bytes.AsSpan((int)at)); }

    private ulong U64(long at) { Check(at, 8, "a field"); return BinaryPrimitives.ReadUInt64LittleEndian(_bytes.AsSpan((int)at)); }

    private sealed record Section(uint Type, long Offset, long Size, uint Link, uint Info);
}

/// <summary>
/// One entry of an ELF file's <c>.gnu.version_r</c> section: the file asks <paramref name="Library"/> for the
/// symbol version <paramref name="Version"/> (a <c>Vernaux</c> record).
/// </summary>
/// <param name="Library">The needed library, e.g. <c>libstdc++.so.6</c> (<c>vn_file</c>).</param>
/// <param name="Version">The version name, e.g. <c>GLIBCXX_3.4.32</c> (<c>vna_name</c>).</param>
/// <param name="Index">The version index that <c>.gnu.version</c> uses for symbols of this version (<c>vna_other</c>).</param>
/// <param name="Flags">The entry's flags (<c>vna_flags</c>); <see cref="ElfImage.VerFlgWeak"/> makes a missing version non-fatal.</param>
/// <param name="FlagsOffset">The file offset of <c>vna_flags</c>, the two bytes an edit changes.</param>
internal sealed record ElfVersionNeed(string Library, string Version, ushort Index, ushort Flags, long FlagsOffset)
{
    /// <summary>Whether the dynamic loader treats a missing version as a warning rather than an error.</summary>
    public bool IsWeak => (Flags & ElfImage.VerFlgWeak) != 0;
}

/// <summary>An ELF file that is not what the native loader expects: not ELF, not 64-bit little-endian, truncated, or without the entry to edit.</summary>
/// <param name="file">The file's name or path, named in the message.</param>
/// <param name="problem">What is wrong with it.</param>
internal sealed class ElfFormatException(string file, string problem)
    : Exception($"{file}: {problem}")
{
    /// <summary>The file's name or path.</summary>
    public string File { get; } = file;

    /// <summary>What is wrong with the file.</summary>
    public string Problem { get; } = problem;
}

/// <summary>
/// Marks one symbol-version requirement of an ELF file weak (<c>vna_flags |= VER_FLG_WEAK</c>), so that a system
/// whose library lacks that version still loads the file. Refuses when a relocation uses a symbol of that
/// version: then the symbol really is called and weakening it would only move the failure to run time.
/// </summary>
internal static class WeakVersionPatch
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
