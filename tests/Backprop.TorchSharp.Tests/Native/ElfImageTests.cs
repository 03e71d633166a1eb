using Backprop.Native;

namespace Backprop.Tests.Native;

public sealed class ElfImageTests
{
    /// <summary>TorchSharp's real native glue, as the build copied it next to the tests.</summary>
    internal static string LibTorchSharp =>
        Directory.GetFiles(AppContext.BaseDirectory, "libLibTorchSharp.so", SearchOption.AllDirectories).FirstOrDefault()
        ?? throw new InvalidOperationException("libLibTorchSharp.so is not in the test output; is TorchSharp-cpu referenced?");

    [Fact]
    public void Reads_the_needed_libraries_of_the_real_library()
    {
        var image = ElfImage.Load(LibTorchSharp);

        Assert.Contains("libtorch.so", image.Needed);
        Assert.Contains("libtorch_cpu.so", image.Needed);
        Assert.Contains("libstdc++.so.6", image.Needed);
    }

    [Fact]
    public void Finds_the_GLIBCXX_3_4_32_requirement_not_weak_and_unused_by_relocations()
    {
        var image = ElfImage.Load(LibTorchSharp);

        var need = Assert.Single(image.VersionNeeds, n => n.Version == "GLIBCXX_3.4.32");
        Assert.Equal("libstdc++.so.6", need.Library);
        Assert.False(need.IsWeak);
        Assert.Equal(["_ZSt21ios_base_library_initv"], image.SymbolsOfVersion(need.Index));
        Assert.Empty(image.RelocatedSymbolsOfVersion(need.Index));
    }

    [Fact]
    public void Older_versions_are_used_by_relocations()
    {
        var image = ElfImage.Load(LibTorchSharp);

        var need = Assert.Single(image.VersionNeeds, n => n.Version == "GLIBCXX_3.4");
        Assert.NotEmpty(image.RelocatedSymbolsOfVersion(need.Index));
    }

    [Fact]
    public void Rejects_a_file_that_is_not_ELF()
    {
        var e = Assert.Throws<ElfFormatException>(() => ElfImage.Parse("just some text, long enough to pass the size check of the header........."u8.ToArray(), "notes.txt"));

        Assert.Equal("notes.txt", e.File);
        Assert.Contains("not an ELF file", e.Message);
    }

    [Fact]
    public void Rejects_32_bit_ELF()
    {
        var bytes = File.ReadAllBytes(LibTorchSharp);
        bytes[4] = 1;

        var e = Assert.Throws<ElfFormatException>(() => ElfImage.Parse(bytes, "lib32.so"));
        Assert.Contains("64-bit little-endian", e.Message);
    }

    [Theory]
    [InlineData(100)]
    [InlineData(4096)]
    [InlineData(1_000_000)]
    public void Rejects_a_truncated_file_with_a_clear_error(int length)
    {
        var bytes = File.ReadAllBytes(LibTorchSharp)[..length];

        var e = Assert.Throws<ElfFormatException>(() => ElfImage.Parse(bytes, "cut.so"));
        Assert.Contains("outside", e.Message);
    }
}
