using TorchSharp;
using static TorchSharp.torch;

namespace Backprop.Tests.Training;

public sealed class DeviceChoiceTests
{
    [Theory]
    [InlineData("cpu")]
    [InlineData(" CPU ")]
    public void Cpu_is_the_cpu(string choice)
    {
        Assert.Equal(DeviceType.CPU, DeviceChoice.Resolve(choice).type);
    }

    [Fact]
    public void Auto_is_cuda_where_available_else_the_cpu()
    {
        var expected = cuda.is_available() ? DeviceType.CUDA : DeviceType.CPU;

        Assert.Equal(expected, DeviceChoice.Resolve("auto").type);
    }

    [Theory]
    [InlineData("cuda")]
    [InlineData("cuda:0")]
    public void Cuda_without_cuda_says_how_to_get_it(string choice)
    {
        if (cuda.is_available())
        {
            Assert.Equal(DeviceType.CUDA, DeviceChoice.Resolve(choice).type);
            return;
        }

        var e = Assert.Throws<DeviceChoiceException>(() => DeviceChoice.Resolve(choice));
        Assert.Equal(choice, e.Choice);
        Assert.Contains("needs CUDA, which is not available", e.Message);
        Assert.Contains("-p:TorchBackend=cuda", e.Message);
        Assert.Contains("NVIDIA GPU", e.Message);
    }

    [Theory]
    [InlineData("gpu")]
    [InlineData("cuda:x")]
    [InlineData("cuda:-1")]
    [InlineData("")]
    public void Unknown_names_list_the_choices(string choice)
    {
        var e = Assert.Throws<DeviceChoiceException>(() => DeviceChoice.Resolve(choice));

        Assert.Contains($"unknown device '{choice}'", e.Message);
        Assert.Contains("cpu, cuda, auto or cuda:N", e.Message);
    }

    [Fact]
    public void Same_ignores_the_implicit_index_of_cuda()
    {
        Assert.True(DeviceChoice.Same(CPU, new Device("cpu")));
        Assert.True(DeviceChoice.Same(new Device("cuda"), new Device("cuda:0")));
        Assert.False(DeviceChoice.Same(new Device("cuda:0"), new Device("cuda:1")));
        Assert.False(DeviceChoice.Same(CPU, new Device("cuda")));
    }
}
