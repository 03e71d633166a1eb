using Backprop.Native;

namespace Backprop.Tests.Native;

public sealed class WeakVersionPatchTests
{
    [Fact]
    public void Sets_the_weak_flag_and_changes_nothing_else()
    {
        var original = File.ReadAllBytes(ElfImageTests.LibTorchSharp);
        var before = Assert.Single(ElfImage.Parse(original, "before").VersionNeeds, n => n.Version == "GLIBCXX_3.4.32");

        var patched = WeakVersionPatch.Apply(original, "lib", "libstdc++.so.6", "GLIBCXX_3.4.32");

        var after = Assert.Single(ElfImage.Parse(patched, "after").VersionNeeds, n => n.Version == "GLIBCXX_3.4.32");
        Assert.False(before.IsWeak);
        Assert.True(after.IsWeak);
        Assert.Equal(before.Flags | ElfImage.VerFlgWeak, after.Flags);
        Assert.Equal(original.Length, patched.Length);
        var differing = Enumerable.Range(0, original.Length).Where(i => original[i] != patched[i]).ToArray();
        Assert.Equal([(int)before.FlagsOffset], differing);
    }

    [Fact]
    public void Leaves_the_input_array_untouched()
    {
        var original = File.ReadAllBytes(ElfImageTests.LibTorchSharp);
        var copy = (byte[])original.Clone();

        WeakVersionPatch.Apply(original, "lib", "libstdc++.so.6", "GLIBCXX_3.4.32");

        Assert.Equal(copy, original);
    }

    [Fact]
    public void Rejects_a_version_the_file_does_not_need()
    {
        var original = File.ReadAllBytes(ElfImageTests.LibTorchSharp);

        var e = Assert.Throws<ElfFormatException>(() => WeakVersionPatch.Apply(original, "lib.so", "libstdc++.so.6", "GLIBCXX_9.9.99"));
        Assert.Contains("needs no version GLIBCXX_9.9.99", e.Message);
        Assert.StartsWith("lib.so:", e.Message);
    }

    [Fact]
    public void Refuses_to_weaken_a_version_whose_symbols_are_called()
    {
        var original = File.ReadAllBytes(ElfImageTests.LibTorchSharp);

        var e = Assert.Throws<ElfFormatException>(() => WeakVersionPatch.Apply(original, "lib.so", "libstdc++.so.6", "GLIBCXX_3.4"));
        Assert.Contains("relocations use GLIBCXX_3.4 symbols", e.Message);
    }

    [Fact]
    public void Rejects_a_non_ELF_file()
    {
        var e = Assert.Throws<ElfFormatException>(() => WeakVersionPatch.Apply(new byte[200], "zeros.bin", "libstdc++.so.6", "GLIBCXX_3.4.32"));
        Assert.Contains("not an ELF file", e.Message);
    }
}
