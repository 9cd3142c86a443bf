module recipes-stack/infra/offline/ryuk

go 1.19
