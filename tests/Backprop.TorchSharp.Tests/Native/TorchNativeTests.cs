using Backprop.Native;
using TorchSharp;

namespace Backprop.Tests.Native;

public sealed class TorchNativeTests
{
    [Fact]
    public void Torch_loads_and_computes()
    {
        TorchNative.EnsureLoaded();

        using var x = torch.arange(6, dtype: torch.float32).reshape(2, 3);
        Assert.Equal(15f, x.sum().item<float>());
        Assert.NotEqual("not prepared yet", TorchNative.Status);
    }

    [NativePatchFact]
    public void A_patched_copy_lives_in_the_cache_and_the_original_is_untouched()
    {
        TorchNative.EnsureLoaded();
        var patched = TorchNative.PatchedPath!;

        Assert.DoesNotContain(AppContext.BaseDirectory, patched, StringComparison.Ordinal);
        Assert.True(Assert.Single(ElfImage.Load(patched).VersionNeeds, n => n.Version == "GLIBCXX_3.4.32").IsWeak);
        Assert.False(Assert.Single(ElfImage.Load(ElfImageTests.LibTorchSharp).VersionNeeds, n => n.Version == "GLIBCXX_3.4.32").IsWeak);
    }

    [Theory]
    [InlineData("/x/libLibTorchSharp.so: /lib/x86_64-linux-gnu/libstdc++.so.6: version `GLIBCXX_3.4.32' not found (required by /x/libLibTorchSharp.so)", "GLIBCXX_3.4.32")]
    [InlineData("version `CXXABI_1.3.15' not found (required by /a b/libLibTorchSharp.so)", "CXXABI_1.3.15")]
    [InlineData("/x/libtorch_cpu.so: version `GLIBCXX_3.4.32' not found (required by /x/libtorch_cpu.so)", null)]
    [InlineData("libtorch.so: cannot open shared object file: No such file or directory", null)]
    public void Reads_the_missing_version_from_the_loader_error(string error, string? expected) =>
        Assert.Equal(expected, TorchNative.MissingLibstdcxxVersion(error));
}

public sealed class TorchNativeCacheTests
{
    [Fact]
    public void Racing_writers_leave_one_complete_file_and_no_temporary_files()
    {
        using var dir = new TempDir();
        var bytes = new byte[3_000_000];
        new Random(7).NextBytes(bytes);

        var paths = Enumerable.Range(0, 16).AsParallel().WithDegreeOfParallelism(8)
            .Select(_ => TorchNative.WriteCached(dir.Path, "abc", bytes)).Distinct().ToArray();

        var path = Assert.Single(paths);
        Assert.Equal(bytes, File.ReadAllBytes(path));
        Assert.Equal([path], Directory.GetFiles(Path.GetDirectoryName(path)!));
    }

    [Fact]
    public void A_damaged_cached_copy_is_replaced()
    {
        using var dir = new TempDir();
        byte[] good = [1, 2, 3, 4];
        var path = TorchNative.WriteCached(dir.Path, "k", good);
        File.WriteAllBytes(path, [9, 9]);

        Assert.Equal(path, TorchNative.WriteCached(dir.Path, "k", good));
        Assert.Equal(good, File.ReadAllBytes(path));
    }
}
